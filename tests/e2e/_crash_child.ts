/**
 * Test child: runs apply, rollback or recover through the library and kills
 * itself with SIGKILL at a named point, leaving the state a crash leaves.
 *
 * usage: _crash_child.ts <apply|rollback|recover> <manifest|-> <dir> <point> [public key]
 *
 * With a public key (a key or a key file), apply checks the package's
 * signature (delta packages need it); without one it allows unsigned ones.
 */

import { applyPatch, openInstallDir, Session } from "../../src/apply/mod.ts";
import { rollbackLast } from "../../src/apply/rollback.ts";
import { loadManifest } from "../../src/manifest.ts";
import { loadPublicKey } from "../../src/cli/_common.ts";

const [mode, manifest, dir, point, publicKey] = Deno.args as [
  string,
  string,
  string,
  string,
  string | undefined,
];
const onPoint = (p: string) => {
  if (p === point) Deno.kill(Deno.pid, "SIGKILL");
};
if (mode === "apply") {
  await applyPatch(await loadManifest(manifest), dir, {
    allowUnsigned: publicKey === undefined,
    ...(publicKey === undefined ? {} : { publicKey: await loadPublicKey(publicKey) }),
    onPoint,
  });
} else if (mode === "rollback") {
  await rollbackLast(dir, { onPoint });
} else {
  const session = await Session.open(await openInstallDir(dir), "recover", {
    onPoint,
  });
  await session.close();
}
