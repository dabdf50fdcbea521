/**
 * Runs the held-out MariaDB set (mariadb_heldout.ts) through the check of
 * _guarded_mysql.ts (issue 20): for each case and direction the plain diff
 * runs first, once, on a fresh source; a direction the differ refuses, or
 * whose plain plan fails or misses the target, is counted and printed (the
 * differ's failure, not the guard's). Every other direction's guarded
 * script, in each form asked for, must run, run again, and reach the
 * target resumed after any statement, rows kept. Used by
 * mariadb_heldout_test.ts (MariaDB's own guards) and
 * mariadb_heldout_mysql_test.ts (the MySQL 8 form), two files so that they
 * run in parallel.
 */

import { isDeepStrictEqual } from "node:util";
import { generateSchemaDiff } from "../../src/sql/mod.ts";
import { type Conn, connect, exportSchema, runIn } from "./_mariadb.ts";
import { check, dropDatabase, reset, snapshot } from "./_guarded_mysql.ts";
import { type HeldOutCase, MARIADB_HELDOUT } from "./mariadb_heldout.ts";

type Flavor = "mariadb" | "mysql";
type Way = "forward" | "reverse";

/** What the held-out set gave, one line per direction that is not a plain pass. */
export interface HeldOutTally {
  /** Directions checked guarded (their plain plan runs and reaches the target), per form. */
  directions: number;
  passed: number;
  /** The differ refused the direction. */
  refused: string[];
  /** The plain plan fails on the server. */
  plainFailed: string[];
  /** The plain plan runs but misses the target (a differ bug). */
  plainWrong: string[];
  /** Guarded failures not marked as a known limit: the test fails on them. */
  failures: string[];
  /** Guarded failures marked as a known limit, as expected. */
  limits: string[];
  /** Directions marked as a known limit that passed: the mark must go. */
  fixed: string[];
}

const RUN = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(36);
const short = (s: string) => s.length > 1500 ? `${s.slice(0, 1500)} ...` : s;

/** The plain plan in one direction, on `a`; undefined when it runs and reaches the target in `b`. */
async function plainProblem(
  conn: Conn,
  c: HeldOutCase,
  from: string,
  to: string,
  way: Way,
  [a, b]: [string, string],
): Promise<{ kind: "refused" | "plainFailed" | "plainWrong"; message: string } | undefined> {
  let diff;
  try {
    diff = generateSchemaDiff(from, to, { dialect: "mariadb", allowDestructive: true });
  } catch (err) {
    return { kind: "refused", message: (err as Error).message };
  }
  await reset(conn, b, to);
  const target = await snapshot(conn, b, c);
  await reset(conn, a, from);
  if (way === "forward" && c.data) await runIn(conn, a, c.data);
  await conn.query(`USE \`${a}\``);
  for (const ch of diff.changes) {
    try {
      await conn.query(ch.sql);
    } catch (err) {
      return { kind: "plainFailed", message: `${(err as Error).message}, at: ${ch.sql}\n${diff.sql}` };
    }
  }
  const got = await snapshot(conn, a, c);
  if (!isDeepStrictEqual(got, target)) {
    const differ = (x: Map<string, string>, y: Map<string, string>) =>
      [...new Set([...x.keys(), ...y.keys()])].filter((k) => x.get(k) !== y.get(k));
    const names = [...differ(got.tables, target.tables), ...differ(got.objects, target.objects)];
    return { kind: "plainWrong", message: `differ from the target: ${names.join(", ")}\n${diff.sql}` };
  }
  const again = generateSchemaDiff(await exportSchema(conn, a), to, { dialect: "mariadb", allowDestructive: true });
  if (again.changes.length) return { kind: "plainWrong", message: `re-diff not empty:\n${again.sql}\n${diff.sql}` };
  return undefined;
}

/**
 * Checks every held-out case (of mariadb_heldout.ts unless `cases` says)
 * in both directions (reverse unless `oneWay`), `workers` at a time, each
 * with its own connection and databases.
 */
export async function checkHeldOut(
  flavor: Flavor,
  workers = 3,
  cases: readonly HeldOutCase[] = MARIADB_HELDOUT,
): Promise<HeldOutTally> {
  const tally: HeldOutTally = {
    directions: 0,
    passed: 0,
    refused: [],
    plainFailed: [],
    plainWrong: [],
    failures: [],
    limits: [],
    fixed: [],
  };
  const queue: [HeldOutCase, Way][] = cases.flatMap((c) =>
    c.oneWay ? [[c, "forward"] as [HeldOutCase, Way]] : [[c, "forward"], [c, "reverse"]] as [HeldOutCase, Way][]
  );
  const worker = async (n: number) => {
    const conn = await connect();
    const dbs: [string, string] = [`pt_hout_${RUN}_${flavor}_${n}a`, `pt_hout_${RUN}_${flavor}_${n}b`];
    try {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const [c, way] = job;
        const [from, to] = way === "forward" ? [c.from, c.to] : [c.to, c.from];
        const name = `${c.name} (${way})`;
        const problem = await plainProblem(conn, c, from, to, way, dbs);
        if (problem) {
          tally[problem.kind].push(`${name}: ${short(problem.message)}`);
          continue;
        }
        tally.directions++;
        const limit = c.guardLimit !== undefined && c.guardLimit.flavors.includes(flavor) &&
            c.guardLimit.ways.includes(way)
          ? c.guardLimit.reason
          : undefined;
        try {
          await check(conn, { c, from, to, flavor, dbs });
          if (limit !== undefined) tally.fixed.push(`${name}: fixed? ${limit}`);
          else tally.passed++;
        } catch (err) {
          const line = `${name}: ${short((err as Error).message)}`;
          if (limit !== undefined) tally.limits.push(`${name}: ${limit}`);
          else tally.failures.push(line);
        }
      }
    } finally {
      for (const db of dbs) await dropDatabase(conn, db);
      await conn.end();
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return tally;
}

/** Prints the tally: the issue 20 line, then every direction that is not a plain pass. */
export function printTally(flavor: Flavor, t: HeldOutTally, cases: readonly HeldOutCase[] = MARIADB_HELDOUT): void {
  const form = flavor === "mariadb" ? "MariaDB form" : "MySQL 8 form on MariaDB";
  console.log(
    `guarded (issue 20, ${form}): ${t.passed} of ${t.directions} directions whose plain plan runs reach the target ` +
      `run twice and resumed after every statement; ${t.limits.length} known limits; plain plan: ` +
      `${t.refused.length} refused, ${t.plainFailed.length} failed, ${t.plainWrong.length} wrong ` +
      `(${cases.length} cases)`,
  );
  for (const [what, lines] of Object.entries({ refused: t.refused, "plain failed": t.plainFailed })) {
    for (const l of lines) console.log(`  ${what}: ${l.split("\n")[0]}`);
  }
  for (const l of t.plainWrong) console.log(`  plain wrong: ${l}`);
  for (const l of t.limits) console.log(`  known limit: ${l}`);
}
