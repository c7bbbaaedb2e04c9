import type { TaskAssignment } from '../agent/protocol.js';

// How the control core tells agents that their tasks' desired state changed.
// Tasks calls it after every commit that changes what an instance should run
// (RunTask, StartTask, StopTask, a forced deregistration); the agent hub
// implements it. Delivery is best effort: an agent that misses a change gets
// the full state (`Tasks.assignmentsFor`) when it connects again.

export interface AgentNotifier {
  tasksChanged(containerInstanceArn: string, tasks: TaskAssignment[]): void;
}

export const silentNotifier: AgentNotifier = { tasksChanged() {} };
