export { ManagedProcess, type ManagedProcessOptions } from './process/managed-process.js';
export { runTask, type RunTaskOptions, type TaskResult } from './process/run-task.js';
export { TaskQueue, type TaskQueueOptions, type SubmitOptions, type CommandQueueView } from './supervisor/tasks.js';
export { taskQueueMachine, type TaskQueueMachine } from './machines/task-queue.js';
export { deriveName as commandName, nextRef as newRef } from './journal/names.js';
export type { SpawnOptions } from './process/options.js';
export { createBus, getDefaultBus, type Bus, type BusOptions, type BusHandler, type BusWildcardHandler } from './bus/create-bus.js';
export { project, type ProcessView } from './bus/project.js';
export {
  PROCESS_STATES,
  FINAL_STATES,
  type BusEvents,
  type BusEventType,
  type HistoryEvent,
  type LineEvent,
  type LogEvent,
  SERVICE_STATES,
  type ServiceEvent,
  type ServiceState,
  type QueueEvent,
  type QueuedTask,
  type RejectedEvent,
  type ProcessState,
  type Stamped,
  type Stream,
  type TransitionEvent,
} from './bus/events.js';
export { processMachine, type ProcessMachine, type ProcessInput, type ProcessContext } from './machines/process.js';
export { serviceMachine, type ServiceMachine, type ServiceInput, type ServiceContext, type ServicePolicy, type ReadySpec } from './machines/service.js';
export { Supervisor, type SupervisorOptions, type ServiceStatus } from './supervisor/supervisor.js';
export type { ServiceOptions } from './supervisor/options.js';
export { projectServices, type ServiceView } from './bus/project-services.js';
export { createTestClock, realClock, type Clock, type TestClock } from './clock.js';
export { BrainstemError, JournalError, QueueFullError, SpawnError, SupervisorError, TimeoutError, ValidationError } from './errors.js';
export { resolveJournal } from './journal/paths.js';
export { DEFAULT_LINE_LIMIT } from './lines/line-splitter.js';
export {
  CallosumServer,
  CallosumConnection,
  CallosumError,
  type CallosumServerOptions,
  type CallosumConnectionOptions,
  type CallosumMessage,
  type CallosumFields,
} from './callosum/index.js';
// The bridge is an actor: the public face exports it, the wire protocol's module does not reach up for it.
export { bridgeBusToCallosum, callosumBridge, type CallosumBridgeInput } from './actors/callosum-bridge.js';
export { closeCallosumLinks } from './process/callosum-link.js';
export { containment, type Containment } from './host/containment.js';
export { registerShutdown, keepAlive, setSignalGuard, type ShutdownStep } from './host/guard.js';
export { readEvents, sweepOrphans, type ReadEventsOptions, type EventLogContents, type SweepOptions, type SweptProcess, type EventRecord, type RecordFields } from './eventlog/index.js';
export { startInspector, InspectorError, callosumFedBus, scanHealthLogs, readJournalReplay, type Inspector, type InspectorOptions, type EarlierProcess, type JournalReplay } from './inspect/index.js';
