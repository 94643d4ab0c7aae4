// A page object over one VS Code workbench window in Chromium: what a user clicks and reads.
// The selectors are the ones VS Code's own smoke automation and code-server's e2e suite use
// (roles and aria labels first, class names only where the workbench has nothing better).
import type { FrameLocator, Locator, Page } from 'playwright-core';

export class Workbench {
  constructor(readonly page: Page) {}

  /** An activity-bar entry (view container) by its title, e.g. `NetVSC`. */
  activityBarTab(title: string): Locator {
    return this.page.locator('.part.activitybar').getByRole('tab', { name: new RegExp(`^${escapeRegExp(title)}\\b`) });
  }

  /** Opens a view container from the activity bar (a no-op if it is already the visible one). */
  async openViewContainer(title: string): Promise<void> {
    const tab = this.activityBarTab(title);
    await tab.waitFor({ timeout: 30_000 });
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  }

  /** A row of a tree view by its label (the item's description, shown beside the label, is
   *  part of the row's accessible name, so the label element is matched instead). */
  treeItem(label: string): Locator {
    return this.page.locator('.monaco-list-row[role="treeitem"]')
      .filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) });
  }

  /** Label texts of the visible tree rows at one depth (1 = roots), in display order. */
  async treeLabels(level: number): Promise<string[]> {
    return this.page.locator(`.monaco-list-row[role="treeitem"][aria-level="${level}"] .label-name`).allInnerTexts();
  }

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** The rows of the open quick input (command palette, quick pick). */
  quickInputRows(): Locator {
    return this.quickInput.locator('.monaco-list-row');
  }

  /** Runs a command from the command palette (F1) by its full title, e.g. `NetVSC: Show Driver Info`. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape'); // close whatever quick input is open
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = this.quickInputRows().filter({ hasText: title }).first();
    await row.waitFor();
    await row.click();
  }

  /** Waits for a quick pick and chooses the row whose text contains `text` (or the first row). */
  async pick(text?: string): Promise<string> {
    const rows = this.quickInputRows();
    const row = text ? rows.filter({ hasText: text }).first() : rows.first();
    await row.waitFor();
    const label = (await row.locator('.label-name').first().innerText()).trim();
    await row.click();
    return label;
  }

  /** The visible text of the active terminal (needs the DOM renderer: gpuAcceleration off). */
  async terminalText(): Promise<string> {
    const rows = this.page.locator('.terminal-wrapper.active .xterm-rows').first();
    if (!(await rows.count())) return '';
    return (await rows.innerText()).replace(/\u00a0/g, ' ');
  }

  /** Types a line into the active terminal, as a user would, and presses Enter. */
  async typeInTerminal(line: string): Promise<void> {
    await this.page.locator('.terminal-wrapper.active .xterm').first().click();
    await this.page.keyboard.type(line);
    await this.page.keyboard.press('Enter');
  }

  /** The text of the active editor, line by line as rendered (the DOM reuses line nodes, so
   *  they are sorted by their vertical position). */
  async activeEditorLines(): Promise<string[]> {
    const editor = this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await editor.waitFor();
    return editor.evaluate((el) => [...el.querySelectorAll('.view-line')]
      .map((line) => ({ top: line.getBoundingClientRect().top, text: (line.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Polls `probe` (sync or async) until it returns something truthy; throws naming `what` on timeout. */
export async function until<T>(what: string, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Expands tab stops every 8 columns, as a terminal renders a TAB. */
export function expandTabs(line: string): string {
  let out = '';
  for (const c of line) out += c === '\t' ? ' '.repeat(8 - (out.length % 8)) : c;
  return out;
}

/** More of the workbench: quick open, the explorer's context menu, notifications, webviews, the debugger. */
export class WorkbenchMore extends Workbench {
  /** Opens a workspace file by name through Quick Open (Ctrl+P). */
  async quickOpen(name: string): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor();
    await input.fill(name);
    await this.quickInputRows().filter({ hasText: name }).first().waitFor();
    await input.press('Enter');
  }

  /** A row of the Explorer by file name (the Explorer must be the visible side bar view). */
  explorerItem(name: string): Locator {
    return this.page.locator('.explorer-folders-view .monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(name)}\\s*$`) }) });
  }

  /** Opens a workspace file from the Explorer with the mouse (keys would go to a focused webview):
   *  `path` is relative to the workspace folder, with `/` between folders. */
  async openFromExplorer(path: string): Promise<Locator> {
    await this.openViewContainer('Explorer');
    const parts = path.split('/');
    for (const folder of parts.slice(0, -1)) {
      const row = this.explorerItem(folder);
      await row.waitFor();
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
    }
    const file = this.explorerItem(parts[parts.length - 1]);
    await file.waitFor();
    return file;
  }

  /** Right-clicks `target` and chooses the context-menu entry whose label starts with `label`. */
  async contextMenu(target: Locator, label: string): Promise<void> {
    await target.click({ button: 'right' });
    const item = this.page.locator('.context-view .monaco-menu .action-item .action-label', { hasText: label }).first();
    await item.waitFor();
    // The menu acts on the item under the mouse on Enter (a synthetic click right after opening is ignored).
    await item.hover();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.context-view .monaco-menu').waitFor({ state: 'detached' });
  }

  /** Takes keyboard focus back from a webview (its iframe swallows keys): blur the focused iframe,
   *  so keys reach the workbench's own keybinding listener. */
  async focusWorkbench(): Promise<void> {
    await this.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  }

  /** Messages of the notifications (toasts, or the notification center, opened from the bell when no toast is shown). */
  async notificationMessages(): Promise<string[]> {
    const messages = this.page.locator('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message');
    if (!(await messages.count()) && !(await this.page.locator('.notifications-center.visible').count())) {
      await this.page.locator('.statusbar-item[id="status.notifications"]').click();
    }
    return (await messages.allInnerTexts()).map((s) => s.trim());
  }

  /** The content frame of the visible webview (the active custom editor or webview panel). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
  }

  /** The active editor's name, as the window title shows it (`NAME - FOLDER - code-server`). */
  async activeTabTitle(): Promise<string> {
    return (await this.page.title()).replace(/^● /, '').split(' - ')[0].trim();
  }

  /** Clicks the inline action (the icon shown on hover) of a tree row. */
  async inlineAction(row: Locator, title: string): Promise<void> {
    await row.hover();
    await row.locator(`.actions .action-label[aria-label="${title}"]`).click();
  }
}
