/**
 * A held-out PostgreSQL suite on a real server, with the corpus runner
 * (_pg_runner.ts): forward and reverse, catalogs of every user schema
 * compared, rows kept, second diff empty. A case marked `refused` must be
 * refused with a matching message and the database unchanged; a case marked
 * `knownLimit` must still fail loudly (rolled back, never silently wrong).
 * The guarded form must run twice and resume after every statement. The last
 * test prints the tally. Used by postgres_heldout_test.ts and
 * postgres_heldout2_test.ts.
 */

import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { have } from "../_env.ts";
import type { HeldOutCase } from "./postgres_heldout.ts";
import {
  CaseFailure,
  createDatabases,
  dropDatabases,
  fresh,
  type Outcome,
  rowsOf,
  runCase,
  snapshot,
  viaPgDump,
  withClient,
} from "./_pg_runner.ts";

const HAVE_PG = await have("postgres");

/** Runs `statements` one by one in autocommit on `db`; throws naming the one that failed. */
async function oneByOne(db: string, statements: string[], what: string): Promise<void> {
  await withClient(db, async (x) => {
    for (const [i, sql] of statements.entries()) {
      await x.query(sql).catch((err: Error) => {
        throw new Error(`${what}: statement ${i + 1} failed: ${sql}\n(${err.message})`);
      });
    }
  });
}

/**
 * Registers the suite's tests for `cases`: named `label: ...`, the tally line
 * opening with `tallyLabel`, on databases named from `prefix`.
 */
export function pgHeldoutSuite(
  label: string,
  tallyLabel: string,
  prefix: string,
  cases: readonly HeldOutCase[],
): void {
  const A = `${prefix}_${Deno.pid}_a`;
  const B = `${prefix}_${Deno.pid}_b`;
  const DUMP = `${prefix}_${Deno.pid}_d`;

  /** pg_dump's text of each schema, made once: three tests below read the same cases. */
  const dumps = new Map<string, string>();

  /** The case as the tests run it: a `viaPgDump` case's schemas as pg_dump prints them. */
  async function asWritten<T extends { viaPgDump?: boolean | undefined; from: string; to: string }>(c: T): Promise<T> {
    if (!c.viaPgDump) return c;
    const dump = async (sql: string) => {
      if (!dumps.has(sql)) dumps.set(sql, await viaPgDump(DUMP, sql));
      return dumps.get(sql)!;
    };
    return { ...c, from: await dump(c.from), to: await dump(c.to) };
  }

  const tally = new Map<Outcome, string[]>();
  const note = (o: Outcome, name: string) => tally.set(o, [...(tally.get(o) ?? []), name]);

  Deno.test({
    name: `${label}: the databases are created`,
    ignore: !HAVE_PG,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => createDatabases([A, B, DUMP]),
  });

  for (const c of cases) {
    Deno.test({
      name: `${label}: ${c.name}${c.refused ? " (refused)" : ""}${
        c.knownLimit ? ` (known limit: ${c.knownLimit})` : ""
      }`,
      ignore: !HAVE_PG,
      sanitizeResources: false,
      sanitizeOps: false,
      async fn() {
        const run = await asWritten(c);
        let outcome: Outcome = "converged";
        let failure: CaseFailure | undefined;
        try {
          await runCase(A, B, run);
        } catch (err) {
          if (!(err instanceof CaseFailure)) throw err;
          outcome = err.outcome;
          failure = err;
        }
        note(outcome, c.name);
        if (c.refused) {
          assert.equal(outcome, "refused", failure?.message ?? "it converged: drop the mark");
          assert.match(failure!.message, c.refused);
        } else if (c.knownLimit !== undefined) {
          assert.ok(outcome === "failed" || outcome === "refused", failure?.message ?? `fixed? ${c.knownLimit}`);
        } else if (failure) {
          throw failure;
        }
      },
    });
  }

  Deno.test({
    name: `${label}: the offline diff of two files (sql diff) is refused, fails to run, or is right`,
    ignore: !HAVE_PG,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      // No server helps `sql diff a.sql b.sql`: its plan, run on a database built from one file, must give the
      // database built from the other, or be refused, or fail when run (loud); never run and differ.
      const wrong: string[] = [];
      for (const c0 of cases) {
        const c = await asWritten(c0);
        for (const [from, to, way] of [[c.from, c.to, "forward"], [c.to, c.from, "reverse"]] as const) {
          let plan: string;
          try {
            plan = generateSchemaDiff(from, to, { dialect: "postgres", allowDestructive: true }).sql;
          } catch (err) {
            // A refusal or a statement the parser cannot read: a clear error with a code, never a crash.
            assert.ok((err as { code?: string }).code?.startsWith("Sql"), (err as Error).stack);
            continue;
          }
          await fresh(A, from);
          await fresh(B, to);
          const ran = await withClient(A, (x) => x.query(`BEGIN; ${plan} COMMIT;`)).then(() => true, async () => {
            await withClient(A, (x) => x.query("ROLLBACK")).catch(() => {});
            return false;
          });
          if (!ran) continue;
          const [a, b] = [await withClient(A, snapshot), await withClient(B, snapshot)];
          const differ = Object.keys(b).filter((k) => !isDeepStrictEqual(a[k], b[k]));
          if (differ.length) wrong.push(`${c.name} (${way}): ${differ.join(", ")}\n${plan}`);
        }
      }
      assert.deepEqual(wrong, []);
    },
  });

  Deno.test({
    name: `${label}: guarded scripts run twice and resume after every statement (issue 20)`,
    ignore: !HAVE_PG,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      // Where the plain offline diff runs, its guarded form (sql diff --guarded) must reach the target as printed,
      // run twice (rows kept), and, started again from the source, after the first k statements run one by one in
      // autocommit (no transaction to fall back on), then the whole printed script.
      const failures: string[] = [];
      let directions = 0;
      let resumed = 0;
      for (const c0 of cases) {
        const c = await asWritten(c0);
        for (const [from, to, way] of [[c.from, c.to, "forward"], [c.to, c.from, "reverse"]] as const) {
          if (way === "reverse" && c.oneWay) continue;
          let plain: string;
          let guarded: ReturnType<typeof generateSchemaDiff>;
          try {
            plain = generateSchemaDiff(from, to, { dialect: "postgres", allowDestructive: true }).sql;
            guarded = generateSchemaDiff(from, to, { dialect: "postgres", allowDestructive: true, guarded: true });
          } catch {
            continue; // refused: the test above checks the refusal
          }
          const data = way === "forward" ? c.data : undefined;
          await fresh(A, from, data);
          const ran = await withClient(A, (x) => x.query(`BEGIN; ${plain} COMMIT;`)).then(() => true, async () => {
            await withClient(A, (x) => x.query("ROLLBACK")).catch(() => {});
            return false;
          });
          if (!ran) continue; // the plain plan fails loudly here: nothing to guard
          const name = `${c.name} (${way})`;
          directions++;
          try {
            await fresh(B, to);
            const target = await withClient(B, snapshot);
            await fresh(A, from, data);
            const rows = way === "forward" && c.check ? await rowsOf(A, c.check) : undefined;
            for (const run of [1, 2]) {
              await withClient(A, (x) => x.query(guarded.sql)).catch((err: Error) => {
                throw new Error(`run ${run}: ${err.message}`);
              });
              assert.deepEqual(await withClient(A, snapshot), target, `run ${run}: target reached`);
              if (rows) assert.deepEqual(await rowsOf(A, c.check!), rows, `run ${run}: rows kept`);
            }
            const statements = guarded.guarded!.statements.map((st) => st.sql);
            for (let k = 1; k < statements.length; k++) {
              await fresh(A, from, data);
              await oneByOne(A, statements.slice(0, k), `first ${k}`);
              await withClient(A, (x) => x.query(guarded.sql)).catch((err: Error) => {
                throw new Error(`whole script after the first ${k}: ${err.message}`);
              });
              assert.deepEqual(await withClient(A, snapshot), target, `resumed after ${k}: target reached`);
            }
            resumed++;
          } catch (err) {
            await withClient(A, (x) => x.query("ROLLBACK")).catch(() => {});
            failures.push(`${name}: ${(err as Error).message.slice(0, 2000)}\n${guarded.sql}`);
          }
        }
      }
      console.log(
        `guarded (issue 20): ${resumed} of ${directions} directions whose plain plan runs reach the target run twice ` +
          "and resumed after every statement",
      );
      assert.deepEqual(failures, []);
    },
  });

  Deno.test({
    name: `${label}: the tally (no case is silently wrong)`,
    ignore: !HAVE_PG,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await dropDatabases([A, B, DUMP]);
      const n = (o: Outcome) => tally.get(o)?.length ?? 0;
      const total = [...tally.values()].reduce((s, v) => s + v.length, 0);
      console.log(
        `${tallyLabel}: ${n("converged")} of ${total} converge; ${n("refused")} refused, ${
          n("failed")
        } failed loudly, ` +
          `${n("not idempotent")} not idempotent, ${n("silently wrong")} silently wrong`,
      );
      for (const [o, names] of tally) if (o !== "converged") console.log(`  ${o}: ${names.join(" | ")}`);
      assert.equal(n("silently wrong"), 0, (tally.get("silently wrong") ?? []).join("\n"));
    },
  });
}
