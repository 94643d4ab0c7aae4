// The NetVSC "Devices" view: maps core's DeviceTreeModel nodes to TreeItems. Elements are node
// ids, so a counter change refreshes the affected nodes only, at most four times a second.
import * as vscode from 'vscode';
import type { DeviceTreeModel } from '../core/view/deviceTree';
import type { Devices } from './devices';

const REFRESH_MS = 250;

export class DeviceTreeProvider implements vscode.TreeDataProvider<string>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private model: DeviceTreeModel | undefined;
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly devices: Devices) {}

  private async ensureModel(): Promise<DeviceTreeModel> {
    if (this.model) return this.model;
    const [lab, { DeviceTreeModel }] = await Promise.all([this.devices.lab(), import('../core/view/deviceTree')]);
    if (this.model) return this.model;
    this.model = new DeviceTreeModel(lab);
    this.offs.push(
      lab.events.on('devices', () => this.refresh()),
      // Counters: the device line and its queues; configuration: the device's whole subtree.
      lab.events.on('changed', (e) => e.what === 'counters'
        ? this.schedule(e.dev, `${e.dev}/queues`, `${e.dev}/vf`, `${e.dev}/xdp`)
        : this.schedule(e.dev)),
    );
    return this.model;
  }

  async getChildren(id?: string): Promise<string[]> {
    return (await this.ensureModel()).children(id);
  }

  async getTreeItem(id: string): Promise<vscode.TreeItem> {
    const node = (await this.ensureModel()).node(id);
    if (!node) return new vscode.TreeItem(id.split('/').pop() ?? id);
    const state = !node.expandable ? vscode.TreeItemCollapsibleState.None
      : node.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(node.label, state);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
    return item;
  }

  getParent(id: string): string | undefined {
    const i = id.lastIndexOf('/');
    return i < 0 ? undefined : id.slice(0, i);
  }

  /** Refreshes everything (roots included). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  private schedule(...ids: string[]): void {
    for (const id of ids) this.pending.add(id);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      const ids = [...this.pending];
      this.pending.clear();
      // A parent's refresh covers its descendants: fire only the outermost ids.
      for (const id of ids) if (!ids.some((o) => o !== id && id.startsWith(`${o}/`))) this.changed.fire(id);
    }, REFRESH_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const off of this.offs) off();
    this.changed.dispose();
  }
}
