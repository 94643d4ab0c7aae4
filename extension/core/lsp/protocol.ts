// The custom part of the client <-> server conversation, imported by both sides (as vscode-eslint's
// $shared does): initialization options and the notification that carries later changes. Settings
// flow one way, client to server.

/** What the XDP server needs to know from the editor. */
export interface XdpServerSettings {
  /** Workspace Trust: clang (a program named in settings) runs only when true. */
  trusted: boolean;
  /** `netvsc.clangPath`. */
  clangPath: string;
  /** `netvsc.xdp.verifyOnSave`: compile + verify when a file is saved (and opened). */
  verifyOnSave: boolean;
  /** The device CodeLenses attach to. */
  ifname: string;
}

export const DEFAULT_XDP_SETTINGS: XdpServerSettings = { trusted: false, clangPath: 'clang', verifyOnSave: true, ifname: 'eth0' };

/** Client -> XDP server: some settings changed (trust granted, clang path edited). Params: Partial<XdpServerSettings>. */
export const XDP_SETTINGS_NOTIFICATION = 'netvsc/xdpSettings';

/** What the ethtool server needs to know from the editor. */
export interface EthtoolServerSettings {
  /** Host profile of the emulated device the scripts are checked against (`netvsc.device.hostProfile`). */
  hostProfile: string;
  /** vCPUs of the emulated VM (`netvsc.device.cpus`). */
  cpus: number;
}

export const DEFAULT_ETHTOOL_SETTINGS: EthtoolServerSettings = { hostProfile: 'azure', cpus: 8 };

/** Client -> ethtool server: device settings changed. Params: Partial<EthtoolServerSettings>. */
export const ETHTOOL_SETTINGS_NOTIFICATION = 'netvsc/ethtoolSettings';

/** Commands the CodeLenses invoke (registered by the extension). */
export const XDP_ATTACH_COMMAND = 'netvsc.xdp.attach';
export const XDP_RUN_ON_TRACE_COMMAND = 'netvsc.xdp.runOnTrace';
export const XDP_DEBUG_COMMAND = 'netvsc.xdp.debug';
export const ETHTOOL_RUN_SCRIPT_COMMAND = 'netvsc.ethtool.runScript';
