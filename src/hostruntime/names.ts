/**
 * Names shared by the host runtime and the kubelet side that starts it (launcher.ts), kept
 * apart so that the launcher does not load the runtime's modules.
 */

/** `runtime_name` in Version answers. */
export const RUNTIME_NAME = 'kubelet-ts-host';
export const RUNTIME_API_VERSION = 'v1';
/** In the state directory: the pid of the runtime holding it. */
export const PID_FILE = 'runtime.pid';
