/** The rebalance planner: pure, deterministic, no I/O (CONVENTIONS.md: a pure plan, a separate apply). */
export { planRebalance } from './plan.js';
export { canonicalJson, configHash, planChecksum } from './checksum.js';
export { parsePlan, PLAN_ID } from './parse.js';
export {
  applyMoves,
  LOAD_MEASURES,
  PLAN_VERSION,
  type LoadMeasure,
  type Placement,
  type PlanInput,
  type PlanMeta,
  type PlanNode,
  type PlanOptions,
  type PlanPartition,
  type RebalanceMove,
  type RebalancePlan,
} from './types.js';
