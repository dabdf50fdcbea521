/**
 * patchops as a library: apply signed incremental patches to an install
 * directory as one crash-safe transaction, and build, sign and verify them.
 *
 * The library prints nothing and knows no command-line flags: progress and
 * warnings arrive through callbacks, failures as {@linkcode PatchopsError}
 * with a stable `code`.
 *
 * @example Apply a patch published over HTTP
 * ```ts
 * import { applyPatch, loadManifest, parsePublicKey } from "@patchops/patchops";
 *
 * const publicKey = parsePublicKey(await Deno.readTextFile("publisher.pub"));
 * const manifest = await loadManifest("https://updates.example.com/app/patch.json");
 * const result = await applyPatch(manifest, "/opt/app", {
 *   publicKey,
 *   onProgress: (e) => console.error(e.phase, e.bytes ?? ""),
 *   onWarning: (m) => console.error("warning:", m),
 * });
 * console.log(`installed ${result.version} (was ${result.previousVersion ?? "unknown"})`);
 * ```
 *
 * @module
 */

export {
  type ApplyOptions,
  applyPatch,
  type ApplyResult,
  type TransportOptions,
  type TrustOptions,
  type VerifyOptions,
  verifyPackage,
  type VerifyResult,
} from "./src/apply/mod.ts";
export type { TrustPolicyOptions } from "./src/apply/trust.ts";
export { rollbackLast, type RollbackOptions, type RollbackResult } from "./src/apply/rollback.ts";
export { previewRecovery, previewRollback, type RollbackPreview } from "./src/apply/preview.ts";
export { type AdoptOptions, type AdoptResult, adoptVersion } from "./src/apply/adopt.ts";
export {
  type HistoryEntry,
  readInstallState,
  recoverInstallDir,
  type RecoverOptions,
  type RecoverReport,
  type State,
} from "./src/apply/inspect.ts";
export type { Plan } from "./src/apply/plan.ts";
export type { HookOutcome, HookOutput, HookRun, HookStage } from "./src/apply/hooks.ts";
export type { HookOptions } from "./src/apply/run_hooks.ts";
export type { HookRecord } from "./src/apply/state.ts";
export type { PackageHookEntry } from "./src/signed_ops.ts";
export { type CreateOptions, createPatch, type CreateResult } from "./src/create/mod.ts";
export {
  loadManifest,
  type LoadManifestOptions,
  type Manifest,
  type Operations,
  parseManifest,
  type ParseManifestOptions,
  type PatchPackageInfo,
} from "./src/manifest.ts";
export {
  formatPublicKey,
  formatSignature,
  parsePublicKey,
  parseSignature,
  type PublicKey,
  type Signature,
} from "./src/verify/minisign.ts";
export {
  formatSecretKey,
  generateSecretKey,
  parseSecretKey,
  publicKeyOf,
  type SecretKey,
  signFile,
  type SignOptions,
} from "./src/verify/secret_key.ts";
export {
  type Dialect,
  generateSchemaDiff,
  type GuardedPlan,
  type GuardedStatement,
  type SchemaDiff,
  type SchemaDiffOptions,
} from "./src/sql/mod.ts";
export type { Phase, ProgressCallback, ProgressEvent } from "./src/progress.ts";
export { type ErrorCode, PatchopsError } from "./src/errors.ts";
