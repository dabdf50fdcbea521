/**
 * Planning: checkStructure() against a staged tree, and planSteps() against
 * an install directory on disk. Nothing here writes.
 */

import assert from "node:assert/strict";
import type { StagedEntry, StagedTree } from "../../src/archive/stage.ts";
import { StagedEntries } from "../../src/archive/staged_entries.ts";
import { checkStructure, planSteps } from "../../src/apply/plan.ts";
import { Workspace } from "../../src/apply/workspace.ts";
import type { Operations } from "../../src/manifest.ts";
import { snapshot, tempDir, writeTree } from "../_helpers.ts";

function staged(entries: Record<string, StagedEntry>): StagedTree {
  const all = new StagedEntries();
  for (const [path, e] of Object.entries(entries)) all.set(path, e);
  return { entries: all, captured: new Map(), files: 0, bytes: 0 };
}

function ops(o: Partial<Operations>): Operations {
  return { replaceFiles: [], replaceDirectories: [], deleteFiles: [], deleteDirectories: [], ...o };
}

const file = (size: number): StagedEntry => ({ type: "file", mode: 0o644, size });
const dir = (mode = 0o755): StagedEntry => ({ type: "directory", mode, size: 0 });

Deno.test("checkStructure() wants every replacement in the package, with the type its list says", () => {
  const tree = staged({ "a.txt": file(1), lib: dir(), "lib/x": file(2) });
  checkStructure(ops({ replaceFiles: ["a.txt", "lib/x"], replaceDirectories: ["lib"] }), tree);
  for (
    const [o, message] of [
      [{ replaceFiles: ["b.txt"] }, /replace\.files names "b\.txt", which the package lacks/],
      [{ replaceFiles: ["lib"] }, /replace\.files names "lib", which is a directory in the package/],
      [{ replaceDirectories: ["gone"] }, /replace\.directories names "gone", which the package lacks/],
      [{ replaceDirectories: ["a.txt"] }, /replace\.directories names "a\.txt", which is not a directory/],
    ] as [Partial<Operations>, RegExp][]
  ) {
    assert.throws(() => checkStructure(ops(o), tree), { code: "StructureInvalid", message });
  }
});

// Mutations caught: parents created twice (the willCreate check dropped); files planned before directories.
Deno.test("planSteps() puts deletes first, then directories, then files, creating missing parents once", async () => {
  const [base, done] = await tempDir();
  try {
    const root = `${base}/app`;
    await writeTree(root, { "old.txt": "o", "lib/a.jar": "a", "conf/c.yml": "c", "d/x": "x" });
    const before = await snapshot(root, { exclude: [] });
    const tree = staged({
      lib: dir(0o750),
      "lib/b.jar": file(10),
      "lib/c.jar": file(5),
      new: dir(0o700),
      "new/deep": dir(0o711),
      "new/deep/f.txt": file(7),
      "new/deep/g.txt": file(3),
      "conf/c.yml": file(4),
    });
    const plan = await planSteps(
      new Workspace(root),
      ops({
        replaceFiles: ["new/deep/f.txt", "new/deep/g.txt", "conf/c.yml"],
        replaceDirectories: ["lib"],
        deleteFiles: ["old.txt", "absent.txt"],
        deleteDirectories: ["d"],
      }),
      tree,
    );
    assert.deepEqual(plan.steps, [
      { action: "delete", path: "old.txt", hadTarget: true, parents: [] },
      { action: "delete", path: "d", hadTarget: true, parents: [] },
      { action: "replace", path: "lib", hadTarget: true, parents: [] },
      {
        action: "replace",
        path: "new/deep/f.txt",
        hadTarget: false,
        parents: [{ path: "new", mode: 0o700 }, { path: "new/deep", mode: 0o711 }],
      },
      { action: "replace", path: "new/deep/g.txt", hadTarget: false, parents: [] },
      { action: "replace", path: "conf/c.yml", hadTarget: true, parents: [] },
    ]);
    assert.deepEqual(plan.warnings, ['nothing to delete at "absent.txt" (already absent)']);
    assert.deepEqual(plan.counts, { files: 3, directories: 1, deleted: 2, bytes: 15 + 7 + 3 + 4 });
    assert.deepEqual(await snapshot(root, { exclude: [] }), before, "planning writes nothing");
  } finally {
    await done();
  }
});

Deno.test("planSteps() refuses a delete of the wrong type and paths through symlinks leading outside", async () => {
  const [base, done] = await tempDir();
  try {
    const root = `${base}/app`;
    await writeTree(root, { "f.txt": "f", "d/x": "x", "inside/y": "y" });
    await writeTree(`${base}/outside`, { "z": "z" });
    await writeTree(`${base}/app-sibling`, { "z": "z" });
    await Deno.symlink(`${base}/app-sibling`, `${root}/sib`);
    await Deno.symlink(`${base}/outside`, `${root}/out`);
    await Deno.symlink("inside", `${root}/in`);
    await Deno.symlink("f.txt", `${root}/tofile`);
    const ws = new Workspace(root);
    const tree = staged({ "out/z": file(1), "sib/z": file(1), "in/y": file(1), "tofile/q": file(1) });
    await assert.rejects(planSteps(ws, ops({ deleteFiles: ["d"] }), tree), {
      code: "StructureInvalid",
      message: /delete\.files names "d", which is a directory/,
    });
    await assert.rejects(planSteps(ws, ops({ deleteDirectories: ["f.txt"] }), tree), {
      code: "StructureInvalid",
      message: /delete\.directories names "f\.txt", which is not a directory/,
    });
    await assert.rejects(planSteps(ws, ops({ replaceFiles: ["out/z"] }), tree), {
      code: "UnsafePath",
      message: /goes through the symlink "out", which leads outside/,
    });
    await assert.rejects(planSteps(ws, ops({ deleteFiles: ["out/z"] }), tree), { code: "UnsafePath" });
    // Mutation caught: the inside check as startsWith(root) without the "/" ("app-sibling" passes).
    await assert.rejects(planSteps(ws, ops({ replaceFiles: ["sib/z"] }), tree), {
      code: "UnsafePath",
      message: /symlink "sib", which leads outside/,
    });
    await assert.rejects(planSteps(ws, ops({ replaceFiles: ["tofile/q"] }), tree), {
      code: "UnsafePath",
      message: /needs "tofile" to be a directory, but it is a symlink to a file/,
    });
    await assert.rejects(planSteps(ws, ops({ replaceFiles: ["f.txt/q"] }), staged({ "f.txt/q": file(1) })), {
      code: "UnsafePath",
      message: /needs "f\.txt" to be a directory, but it is a file/,
    });
    // A symlink that stays inside is fine.
    const plan = await planSteps(ws, ops({ replaceFiles: ["in/y"] }), tree);
    assert.deepEqual(plan.steps.map((s) => [s.path, s.hadTarget]), [["in/y", true]]);
  } finally {
    await done();
  }
});
