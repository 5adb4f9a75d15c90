import type { ReferrerStore } from './stores/referrerStore.js';
import type { ReceivePackStep } from './validatePushReferrer.js';

export type RegisterOutcome = 'registered' | 'conflict';

/**
 * The receive-pack step: what the front end stores for the hook to find. A
 * correlation id keeps its first node: the same node again is fine, another
 * is a conflict and changes nothing.
 */
export async function registerPush(store: ReferrerStore, step: ReceivePackStep, legacy: boolean): Promise<RegisterOutcome> {
  if (step.correlationId !== undefined) {
    const holder = await store.putCorrelation(step.correlationId, step.geoNodeId);
    if (holder !== step.geoNodeId) return 'conflict';
  }
  if (legacy && step.glId !== undefined && step.glRepository !== undefined) await store.putLegacy(step.glId, step.glRepository, step.geoNodeId);
  return 'registered';
}
