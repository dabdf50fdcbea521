/**
 * The entry point for `deno compile` and `deno bundle`: the CLI of `main.ts`
 * with every late module (src/late.ts) linked by a literal import, so one
 * file carries all commands and runs with nothing fetched.
 *
 * @module
 */

import { link } from "./src/late.ts";
import { main } from "./main.ts";

link({
  "./cli/create.ts": () => import("./src/cli/create.ts"),
  "./cli/keygen.ts": () => import("./src/cli/keygen.ts"),
  "./cli/sign.ts": () => import("./src/cli/sign.ts"),
  "./cli/sql.ts": () => import("./src/cli/sql.ts"),
  "./sql/live/migrate.ts": () => import("./src/sql/live/migrate.ts"),
  "@noble/curves/ed25519.js": () => import("@noble/curves/ed25519.js"),
});

if (import.meta.main) Deno.exit(await main(Deno.args));
