// Public API of the warren package: start a broker from code. The CLI is a thin wrapper over this.
export { startBroker, type RunningBroker } from './server.js';
export type { BrokerOptions, TlsOptions, UserDefinition, LogLevel } from './options.js';
export type { MemoryMonitor, MemoryWatermark, MemoryStrategy } from './core/memory-monitor.js';
export type { VirtualClock } from './util/clock.js';
export type { Faults, DropOptions, DiskFaultOptions, DiskFaultKind, DiskFaultOp } from './controls/faults.js';
export type { QueueInspection, InspectedMessage } from './controls/inspect.js';
