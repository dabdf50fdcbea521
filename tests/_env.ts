/**
 * The optional tools and services some tests need. Where one is missing,
 * the tests that need it are ignored (deno test lists them as "ignored"),
 * and tests/environment_test.ts says once what is missing, why it matters
 * and how to get it. `.ci/run` provides all of them and fails on any
 * ignored test that its allow-list does not name.
 */

/** What a capability is, and how a newcomer gets it. */
export interface Need {
  what: string;
  fix: string;
  probe: () => Promise<boolean>;
}

export const MYSQL_URL = Deno.env.get("PATCHOPS_TEST_MYSQL_URL") ?? "mysql://patchops:patchops@127.0.0.1:3306/";
export const PG_URL = Deno.env.get("PATCHOPS_TEST_PG_URL") ?? "postgres://patchops:patchops@127.0.0.1:5432/patchops";

/** Whether `cmd` can be started at all (whatever it exits with). */
async function installed(cmd: string, args: string[]): Promise<boolean> {
  try {
    await new Deno.Command(cmd, { args, stdout: "null", stderr: "null", stdin: "null" }).output();
    return true;
  } catch {
    return false;
  }
}

async function runs(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "null", stdin: "null" }).output();
    return out.success;
  } catch {
    return false;
  }
}

async function canMountTmpfs(): Promise<boolean> {
  if (Deno.build.os !== "linux") return false;
  const dir = await Deno.makeTempDir({ prefix: "patchops-mount-probe-" });
  try {
    if (!(await runs("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]))) return false;
    await runs("umount", [dir]);
    return true;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

/** Every optional capability, by name. */
export const NEEDS = {
  minisign: {
    what: "the minisign binary (packages are signed with the real tool)",
    fix: "apt-get install minisign",
    probe: () => installed("minisign", ["-v"]),
  },
  tmux: {
    what: "tmux (the progress bar is checked on a real terminal)",
    fix: "apt-get install tmux",
    probe: () => runs("tmux", ["-V"]),
  },
  sqlite3: {
    what: "the sqlite3 client (guarded SQLite scripts run as a user would feed them)",
    fix: "apt-get install sqlite3",
    probe: () => runs("sqlite3", ["-version"]),
  },
  time: {
    what: "GNU time (peak memory of a run is read with /usr/bin/time)",
    fix: "apt-get install time",
    probe: () => runs("/usr/bin/time", ["-f", "%M", "true"]),
  },
  strace: {
    what: "strace (fsync and rename order are read from system calls)",
    fix: "apt-get install strace",
    probe: () => runs("strace", ["-V"]),
  },
  mount: {
    what: "mounting a tmpfs (out-of-space tests on a small file system)",
    fix: "run as root where mount(2) is allowed (a privileged container)",
    probe: canMountTmpfs,
  },
  mysql: {
    what: `MariaDB at ${MYSQL_URL.replace(/:[^:@/]*@/, ":***@")}`,
    fix: ".ci/run starts it and creates the user; or set PATCHOPS_TEST_MYSQL_URL",
    probe: async () => {
      const { default: mysql } = await import("mysql2/promise");
      try {
        const c = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
        await c.end();
        return true;
      } catch {
        return false;
      }
    },
  },
  postgres: {
    what: `PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ":***@")}`,
    fix: ".ci/run starts it and creates the role; or set PATCHOPS_TEST_PG_URL",
    probe: async () => {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.end();
        return true;
      } catch {
        return false;
      }
    },
  },
} satisfies Record<string, Need>;

export type NeedName = keyof typeof NEEDS;

const seen = new Map<NeedName, Promise<boolean>>();

/** Whether `name` is available here (probed once per test file). */
export function have(name: NeedName): Promise<boolean> {
  let p = seen.get(name);
  if (p === undefined) {
    p = NEEDS[name].probe();
    seen.set(name, p);
  }
  return p;
}
