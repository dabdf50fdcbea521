/**
 * Says once, at the top of a test run, which optional capabilities are
 * missing here and so which tests deno test reports as "ignored", and why.
 */

import { have, type NeedName, NEEDS } from "./_env.ts";

const missing: NeedName[] = [];
for (const name of Object.keys(NEEDS) as NeedName[]) {
  if (!(await have(name))) missing.push(name);
}
if (missing.length > 0) {
  console.error(
    `[tests] ignored here: the tests that need ${missing.join(", ")}; deno test lists each as "ignored".\n` +
      missing.map((n) => `  - ${n}: no ${NEEDS[n].what}; to run them: ${NEEDS[n].fix}`).join("\n"),
  );
}
