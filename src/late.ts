/**
 * Loads, on first use, the modules that need npm packages: the SQL parser
 * and database drivers, and the curve library for key generation, signing
 * and legacy signatures.
 *
 * Why not a plain `import("./x.ts")`: Deno fetches every `import()` whose
 * specifier is a string literal before the program starts, and, with a
 * lockfile, installs the whole npm snapshot (124 MB here) as soon as one npm
 * package is in that graph. A files-only `apply` on a fresh host would pay
 * for the SQL drivers it never loads. Here the specifier is computed, so the
 * graph of `apply`, `verify`, `status`, `adopt`, `rollback` and `recover`
 * holds no npm package (tests/cli/first_run_test.ts keeps it so).
 *
 * `deno compile` and `deno bundle` only carry what they can see, so
 * `standalone.ts` links the same modules with literal imports before it runs
 * the CLI; `link` is how it does that.
 *
 * @module
 */

/** Each late module, by its path relative to `src/` (or its bare npm name). */
export type LateName =
  | "./cli/create.ts"
  | "./cli/keygen.ts"
  | "./cli/sign.ts"
  | "./cli/sql.ts"
  | "./sql/live/migrate.ts"
  | "@noble/curves/ed25519.js";

const linked = new Map<LateName, () => Promise<unknown>>();

/** Registers literal loaders, so a bundler or `deno compile` carries the modules. */
export function link(loaders: Record<LateName, () => Promise<unknown>>): void {
  for (const [name, load] of Object.entries(loaders)) linked.set(name as LateName, load);
}

/** Imports a late module: the linked loader when there is one, else by a computed specifier. */
export async function late<T>(name: LateName): Promise<T> {
  const load = linked.get(name);
  if (load !== undefined) return await load() as T;
  // Bare names resolve through deno.json's import map; paths relative to this file.
  const specifier = name.startsWith(".") ? new URL(name, import.meta.url).href : name;
  return await import(specifier) as T;
}
