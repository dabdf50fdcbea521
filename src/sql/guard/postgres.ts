/**
 * Guards for PostgreSQL scripts. PostgreSQL has `IF [NOT] EXISTS` on
 * CREATE/DROP TABLE, INDEX, EXTENSION, on ADD/DROP COLUMN, DROP CONSTRAINT
 * and ALTER TABLE ... RENAME TO; what it lacks (ADD CONSTRAINT, RENAME
 * COLUMN) runs in a `DO` block that asks the catalog first. DDL is
 * transactional, so the whole script also runs in one transaction: a run
 * that stops changes nothing, and the guards cover a script whose
 * statements were run one by one (a client in autocommit, a tool that
 * splits the script).
 *
 * @module
 */

import type { Change } from "../model.ts";
import { splitStatements } from "../split.ts";
import { quoteIdent } from "../postgres/quote.ts";
import type { GuardedStatement } from "./model.ts";

const ID = '("(?:[^"]|"")*")';
/** A name as a schema file may write it, quoted or not, and optionally qualified by its schema. */
const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QNAME = String.raw`${NAME}(?:\s*\.\s*${NAME})?`;

/** What PostgreSQL makes of a name as written: quoted names as they are, others folded to lower case. */
function identName(written: string): string {
  return written.startsWith('"') ? unquote(written) : written.toLowerCase();
}

/** The name inside a double-quoted identifier. */
function unquote(ident: string): string {
  return ident.slice(1, -1).replaceAll('""', '"');
}

/**
 * A string literal that reads the same whatever standard_conforming_strings
 * says: with it off, a backslash in a plain literal escapes the next
 * character, so a name holding `\'` would end the literal early. An E''
 * literal always reads backslash escapes.
 */
function literal(value: string): string {
  if (!value.includes("\\")) return `'${value.replaceAll("'", "''")}'`;
  return `E'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

const TAG = "$patchops$";

/** `statement` run only when `condition` holds, in a DO block (dollar-quoted: the text must not hold the tag). */
function doIf(condition: string, statement: string): string | undefined {
  if (statement.includes(TAG) || condition.includes(TAG)) return undefined;
  return `DO ${TAG} BEGIN IF ${condition} THEN ${statement}; END IF; END ${TAG}`;
}

/** A column of table `table` (a quoted identifier) exists. */
function columnExists(table: string, column: string): string {
  return `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${literal(table)}) AND attname = ${
    literal(column)
  } AND attnum > 0 AND NOT attisdropped)`;
}

/** A constraint named `name` exists on table `table` (a quoted identifier). */
function constraintExists(table: string, name: string): string {
  return `EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(${literal(table)}) AND conname = ${
    literal(name)
  })`;
}

/**
 * A CREATE INDEX with IF NOT EXISTS, whether the differ printed it or the
 * schema file wrote it (an expression index, INCLUDE, an operator class:
 * any case, any spacing); undefined for CONCURRENTLY (kept out of the
 * transaction by guardOne) and for an index without a name, which cannot
 * be asked for.
 */
function indexIfNotExists(sql: string): string | undefined {
  if (/^CREATE\s+(UNIQUE\s+)?INDEX\s+IF\s+NOT\s+EXISTS\s/i.test(sql)) return sql;
  const m = /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY\b|ON\b)(?=["A-Za-z_])/i.exec(sql);
  return m ? `${m[0]}IF NOT EXISTS ${sql.slice(m[0].length)}` : undefined;
}

type Block = (condition: string, stmt: string) => GuardedStatement;

/** One statement of the PostgreSQL diff, guarded. */
function guardOne(sql: string, change: Change): GuardedStatement {
  let m: RegExpExecArray | null;
  const ok = (guarded: string): GuardedStatement => ({ sql: guarded, change });
  const block: Block = (condition, stmt) => {
    const text = doIf(condition, stmt);
    return text === undefined
      ? { sql, change, unguarded: `the statement holds ${TAG}, which quotes the DO block` }
      : { sql: text, change, body: true };
  };
  if (change.pgObject && sql === change.sql) {
    const guarded = change.pgObject.drop ? guardDrop(sql, change, block) : guardCreate(sql, change, block);
    if (guarded) return guarded;
  }
  if (/^CREATE TABLE "/.test(sql)) return ok(sql.replace(/^CREATE TABLE /, "CREATE TABLE IF NOT EXISTS "));
  if (/^DROP TABLE "/.test(sql)) return ok(sql.replace(/^DROP TABLE /, "DROP TABLE IF EXISTS "));
  const index = indexIfNotExists(sql);
  if (index !== undefined) return ok(index);
  if (/^DROP INDEX "/.test(sql)) return ok(sql.replace(/^DROP INDEX /, "DROP INDEX IF EXISTS "));
  if (/^(CREATE EXTENSION IF NOT EXISTS|DROP VIEW IF EXISTS|COMMENT ON) /.test(sql)) return ok(sql);
  if (/^DROP EXTENSION "/.test(sql)) return ok(sql.replace(/^DROP EXTENSION /, "DROP EXTENSION IF EXISTS "));
  // Views are dropped before and made again; on a second run the view is already the target one.
  if (/^CREATE VIEW /i.test(sql)) return ok(sql.replace(/^CREATE VIEW /i, "CREATE OR REPLACE VIEW "));
  if ((m = new RegExp(`^ALTER TABLE ${ID} (.*)$`, "s").exec(sql))) {
    const table = m[1]!;
    const rest = m[2]!;
    const head = `ALTER TABLE ${table}`;
    if (/^RENAME TO /.test(rest)) return ok(`ALTER TABLE IF EXISTS ${table} ${rest}`);
    if (/^ADD COLUMN /.test(rest)) return ok(`${head} ADD COLUMN IF NOT EXISTS ${rest.slice("ADD COLUMN ".length)}`);
    if (/^DROP COLUMN /.test(rest)) return ok(`${head} DROP COLUMN IF EXISTS ${rest.slice("DROP COLUMN ".length)}`);
    // Drops name the table as it was: after a rename, a second run finds no such table and has nothing to drop.
    if (/^DROP CONSTRAINT /.test(rest)) {
      return ok(`ALTER TABLE IF EXISTS ${table} DROP CONSTRAINT IF EXISTS ${rest.slice("DROP CONSTRAINT ".length)}`);
    }
    let n: RegExpExecArray | null;
    if ((n = new RegExp(`^ADD CONSTRAINT ${ID} `).exec(rest))) {
      return block(`NOT ${constraintExists(table, unquote(n[1]!))}`, sql);
    }
    if ((n = new RegExp(`^RENAME COLUMN ${ID} TO ${ID}$`).exec(rest))) {
      // Once the new name exists the rename is done, even where a new column took the old name since.
      return block(`${columnExists(table, unquote(n[1]!))} AND NOT ${columnExists(table, unquote(n[2]!))}`, sql);
    }
    let k: RegExpExecArray | null;
    // An identity added once is there: adding it again fails, so it is asked for first. Likewise DROP DEFAULT,
    // which fails on an identity column (a serial made an identity, run again).
    if (
      (k = new RegExp(`^ALTER COLUMN ${ID} (ADD GENERATED (ALWAYS|BY DEFAULT) AS IDENTITY|DROP DEFAULT)$`).exec(rest))
    ) {
      const identity = `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${
        literal(table)
      }) AND attname = ${literal(unquote(k[1]!))} AND attidentity <> '')`;
      return block(`NOT ${identity}`, sql);
    }
    if (new RegExp(`^ALTER COLUMN ${ID} DROP IDENTITY$`).test(rest)) return ok(`${sql} IF EXISTS`);
    // Switching an identity's kind, or a table's logging, to what it already is changes nothing.
    if (new RegExp(`^(ALTER COLUMN ${ID} SET GENERATED (ALWAYS|BY DEFAULT)|SET (UN)?LOGGED)$`).test(rest)) {
      return ok(sql);
    }
    // Setting a type, default or NOT NULL again to what it already is changes nothing.
    if (new RegExp(`^ALTER COLUMN ${ID} (TYPE |SET DEFAULT |DROP DEFAULT$|SET NOT NULL$|DROP NOT NULL$)`).test(rest)) {
      return ok(sql);
    }
  }
  // A sequence is dropped while it is there and not an identity's own (which, after a serial was made an
  // identity, has the serial sequence's name).
  if ((m = new RegExp(`^DROP SEQUENCE ${ID}$`).exec(sql))) {
    return block(
      `EXISTS (SELECT 1 FROM pg_class s WHERE s.oid = to_regclass(${literal(m[1]!)}) AND NOT EXISTS (
        SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'i'))`,
      sql,
    );
  }
  // Moving an identity's sequence past the highest value again moves it to the same place.
  if (
    new RegExp(
      `^SELECT setval\\(pg_get_serial_sequence\\('${ID}', '[^']*'\\), coalesce\\(max\\(${ID}\\), 0\\) \\+ 1, false\\) FROM ${ID}$`,
    ).test(sql)
  ) {
    return ok(sql);
  }
  // An identity made a serial again: the serial's sequence is made only if missing (IF NOT EXISTS, as printed), and
  // moved past the highest value again to the same place.
  if (new RegExp(`^CREATE SEQUENCE IF NOT EXISTS ${ID} AS [a-z]+ OWNED BY ${ID}\\.${ID}$`).test(sql)) return ok(sql);
  if (
    new RegExp(`^SELECT setval\\('${ID}', coalesce\\(max\\(${ID}\\), 0\\) \\+ 1, false\\) FROM ${ID}$`).test(sql)
  ) {
    return ok(sql);
  }
  // A domain's default or NOT NULL set again to what it is changes nothing.
  if (new RegExp(`^ALTER DOMAIN ${ID} (SET DEFAULT |DROP DEFAULT$|SET NOT NULL$|DROP NOT NULL$)`).test(sql)) {
    return ok(sql);
  }
  if ((m = new RegExp(`^ALTER DOMAIN ${ID} DROP CONSTRAINT (${ID})$`).exec(sql))) {
    return ok(`ALTER DOMAIN ${m[1]!} DROP CONSTRAINT IF EXISTS ${m[2]!}`);
  }
  if ((m = new RegExp(`^ALTER DOMAIN ${ID} ADD CONSTRAINT ${ID} `).exec(sql))) {
    return block(
      `NOT EXISTS (SELECT 1 FROM pg_constraint WHERE contypid = to_regtype(${literal(m[1]!)}) AND conname = ${
        literal(unquote(m[2]!))
      })`,
      sql,
    );
  }
  // Only the type's own name is read: " ADD VALUE " inside a quoted name must not be taken for the clause.
  if ((m = new RegExp(`^(ALTER TYPE (?:${ID}\\.)?${ID} ADD VALUE )(?!IF NOT EXISTS )`).exec(sql))) {
    return {
      sql: `${m[1]!}IF NOT EXISTS ${sql.slice(m[0].length)}`,
      change,
      noTransaction: "before PostgreSQL 12 ALTER TYPE ... ADD VALUE cannot run in a transaction",
    };
  }
  if (new RegExp(`^ALTER TYPE (?:${ID}\\.)?${ID} ADD VALUE IF NOT EXISTS `).test(sql)) {
    return { sql, change, noTransaction: "before PostgreSQL 12 ALTER TYPE ... ADD VALUE cannot run in a transaction" };
  }
  const concurrently = "CONCURRENTLY cannot run in a transaction";
  if ((m = /^(CREATE (?:UNIQUE )?INDEX CONCURRENTLY |DROP INDEX CONCURRENTLY )(?!IF )/.exec(sql))) {
    const guard = m[1]!.startsWith("CREATE") ? "IF NOT EXISTS " : "IF EXISTS ";
    return { sql: `${m[1]!}${guard}${sql.slice(m[0].length)}`, change, noTransaction: concurrently };
  }
  if (/^(CREATE (UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS|DROP INDEX CONCURRENTLY IF EXISTS) /.test(sql)) {
    return { sql, change, noTransaction: concurrently };
  }
  // CONCURRENTLY elsewhere (or in a literal): kept out of the transaction, but not claimed to be guarded.
  if (/ CONCURRENTLY /i.test(sql)) {
    return { sql, change, noTransaction: concurrently, unguarded: "patchops has no guard for this statement" };
  }
  return { sql, change, unguarded: "patchops has no guard for this statement" };
}

/**
 * A CREATE of an object the schema file wrote (index, materialized view,
 * sequence, partition, trigger, policy, type, enum, domain, function,
 * row-level security, grant), guarded, or undefined when this shape is not
 * known here. The statement is the schema's own text, so keywords may be in
 * any case and names unquoted: where PostgreSQL has IF NOT EXISTS, it goes
 * in after the object keyword; where it has not (trigger, policy, type), a
 * DO block asks the catalog for the object by the name the differ read.
 */
function guardCreate(sql: string, change: Change, block: Block): GuardedStatement | undefined {
  const o = change.pgObject!;
  const ok = (guarded: string): GuardedStatement => ({ sql: guarded, change });
  const insert = (re: RegExp, what: string) => {
    const m = re.exec(sql);
    return m ? ok(`${m[0]}${what} ${sql.slice(m[0].length)}`) : undefined;
  };
  let m: RegExpExecArray | null;
  let n: RegExpExecArray | null;
  switch (o.kind) {
    case "index": {
      const guarded = indexIfNotExists(sql);
      return guarded === undefined ? undefined : ok(guarded);
    }
    case "matview":
      if (/^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s/i.test(sql)) return ok(sql);
      return insert(/^CREATE\s+MATERIALIZED\s+VIEW\s+/i, "IF NOT EXISTS");
    case "sequence":
      if (/^CREATE\s+SEQUENCE\s+IF\s+NOT\s+EXISTS\s/i.test(sql)) return ok(sql);
      return insert(/^CREATE\s+SEQUENCE\s+/i, "IF NOT EXISTS");
    case "partition":
      if (/^CREATE\s+(UNLOGGED\s+)?TABLE\s+IF\s+NOT\s+EXISTS\s/i.test(sql)) return ok(sql);
      return insert(/^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+/i, "IF NOT EXISTS");
    case "trigger":
      m = new RegExp(
        String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+${NAME}\s[\s\S]*?\sON\s+(${QNAME})\s`,
        "i",
      )
        .exec(sql);
      if (m && (n = new RegExp(`^${ID} ON `).exec(o.name))) {
        // The table as the statement names it (schema-qualified or not), resolved as the statement resolves it.
        return block(
          `NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(${literal(m[1]!)}) AND tgname = ${
            literal(unquote(n[1]!))
          })`,
          sql,
        );
      }
      return undefined;
    case "policy":
      m = new RegExp(String.raw`^CREATE\s+POLICY\s+${NAME}\s+ON\s+(${QNAME})(?=\s|$)`, "i").exec(sql);
      if (m && (n = new RegExp(`^${ID} ON `).exec(o.name))) {
        return block(
          `NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = to_regclass(${literal(m[1]!)}) AND polname = ${
            literal(unquote(n[1]!))
          })`,
          sql,
        );
      }
      return undefined;
    case "type":
    case "enum":
    case "domain":
      // Asked for in the schema it is made in (the one named, else the current schema), not by to_regtype, which
      // would find a built-in type of the same name (point, line, money) in pg_catalog first and skip the CREATE.
      m = new RegExp(String.raw`^CREATE\s+(?:TYPE|DOMAIN)\s+(?:(${NAME})\s*\.\s*)?${NAME}\s`, "i").exec(sql);
      if (!m) return undefined;
      return block(
        `NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = ${
          literal(o.name)
        } AND n.nspname = ${m[1] === undefined ? "current_schema()" : literal(identName(m[1]))})`,
        sql,
      );
    case "function":
      // The differ writes every function and procedure as CREATE OR REPLACE.
      return /^CREATE\s+OR\s+REPLACE\s+(FUNCTION|PROCEDURE)\s/i.test(sql) ? ok(sql) : undefined;
    case "rls":
      // Enabling (or forcing) row-level security that is on already changes nothing.
      return /^ALTER\s+TABLE\s+(ONLY\s+)?\S[\s\S]*\s(ENABLE|FORCE)\s+ROW\s+LEVEL\s+SECURITY$/i.test(sql)
        ? ok(sql)
        : undefined;
    case "grant":
      // Granting what is granted, or revoking what is not, changes nothing while the object is there.
      return /^(GRANT|REVOKE) /.test(sql) ? grantWhileThere(sql, change, block) : undefined;
    case "owned":
      // Owning a sequence by its column again changes nothing.
      return /^ALTER SEQUENCE /.test(sql) ? ok(sql) : undefined;
    case "seqopts":
      // Every option is set: setting them again changes nothing.
      return /^ALTER (SEQUENCE|TABLE) /.test(sql) ? ok(sql) : undefined;
    default:
      return undefined;
  }
}

/**
 * The DROP (or undoing ALTER) of such an object, as the differ prints it
 * (quoted names), guarded; undefined when this shape is not known here.
 */
function guardDrop(sql: string, change: Change, block: Block): GuardedStatement | undefined {
  const ok = (guarded: string): GuardedStatement => ({ sql: guarded, change });
  const m = /^DROP (TYPE|DOMAIN|FUNCTION|PROCEDURE|MATERIALIZED VIEW|TRIGGER|POLICY) (?=")/.exec(sql);
  if (m) return ok(`DROP ${m[1]} IF EXISTS ${sql.slice(m[0].length)}`);
  // Row-level security turned off, a sequence's owner removed: again changes nothing; the table or sequence may
  // be gone on a second run when the script dropped it later.
  if (new RegExp(`^ALTER TABLE ${ID} (DISABLE|NO FORCE) ROW LEVEL SECURITY$`).test(sql)) {
    return ok(sql.replace(/^ALTER TABLE /, "ALTER TABLE IF EXISTS "));
  }
  if (new RegExp(`^ALTER SEQUENCE ${ID} OWNED BY NONE$`).test(sql)) {
    return ok(sql.replace(/^ALTER SEQUENCE /, "ALTER SEQUENCE IF EXISTS "));
  }
  // A column's sequence options set back to the defaults: again changes nothing, while the sequence (or the
  // identity column) is there; the script may drop it later.
  if (change.pgObject?.kind === "seqopts") {
    if (new RegExp(`^ALTER SEQUENCE ${ID} INCREMENT `).test(sql)) {
      return ok(sql.replace(/^ALTER SEQUENCE /, "ALTER SEQUENCE IF EXISTS "));
    }
    // ID holds a group of its own: the table is group 1, the column group 2.
    const m = new RegExp(`^ALTER TABLE ${ID} ALTER COLUMN ${ID} SET INCREMENT `).exec(sql);
    if (m) {
      return block(
        `EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${literal(m[1]!)}) AND attname = ${
          literal(unquote(m[2]!))
        } AND attidentity <> '')`,
        sql,
      );
    }
  }
  // Revoking what was granted, or giving PUBLIC's default back: again changes nothing, while the object is there
  // (the script may drop it later, and a second run then finds none).
  if (/^(REVOKE|GRANT) /.test(sql) && change.pgObject?.kind === "grant") return grantWhileThere(sql, change, block);
  return undefined;
}

/**
 * A GRANT or REVOKE (as the differ prints it) run only while the object it
 * names exists; undefined when the object cannot be told from the change.
 */
function grantWhileThere(sql: string, change: Change, block: Block): GuardedStatement | undefined {
  const on = change.pgObject?.on;
  if (on === undefined) return undefined;
  const routine = /^(FUNCTION|PROCEDURE) ([^(]+)(\(.*\))$/s.exec(on);
  if (routine) {
    const proc = `${quoteIdent(routine[2]!)}${routine[3]!}`;
    if (!sql.includes(` ON ${routine[1]} ${proc} `)) return undefined;
    return block(`to_regprocedure(${literal(proc)}) IS NOT NULL`, sql);
  }
  const name = quoteIdent(on);
  if (sql.includes(` ON TYPE ${name} `)) return block(`to_regtype(${literal(name)}) IS NOT NULL`, sql);
  // A relation's grant names it with or without TABLE (the revoke is printed from the grant's name).
  if ([` ON TABLE ${name} `, ` ON SEQUENCE ${name} `, ` ON ${name} `].some((x) => sql.includes(x))) {
    return block(`to_regclass(${literal(name)}) IS NOT NULL`, sql);
  }
  return undefined;
}

/**
 * Whether `text` ends outside any string, quoted name, dollar quote or
 * comment: a statement that follows it starts a statement of its own.
 */
function endsAtTopLevel(text: string): boolean {
  try {
    const { statements } = splitStatements(`${text};\nSELECT 1`, { dialect: "postgres" });
    return statements.at(-1)?.text === "SELECT 1";
  } catch {
    return false;
  }
}

/**
 * The statements of a change made of several, split where the diff joined
 * them. A `;\n` followed by ALTER TABLE inside a literal (a default or a
 * CHECK written by the schema's author) is not a split: cut there, the rest
 * of the literal would run as statements of its own.
 */
function statementsOf(sql: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const part of sql.split(/;\n(?=ALTER TABLE )/)) {
    current = current === undefined ? part : `${current};\n${part}`;
    if (endsAtTopLevel(current)) {
      out.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) out.push(current);
  return out;
}

/**
 * Rewrites the changes of a PostgreSQL diff as guarded statements, in order.
 * A change made of several statements gives several; a statement patchops
 * cannot guard is kept as it is, with the reason in `unguarded`.
 */
export function guardPostgresChanges(changes: Change[]): GuardedStatement[] {
  const out: GuardedStatement[] = [];
  const key = (c: Change) => `${c.pgObject!.kind}\0${c.pgObject!.name}`;
  const remade = new Set(changes.filter((c) => c.pgObject && !c.pgObject.drop).map(key));
  for (const change of changes) {
    const parts = statementsOf(change.sql);
    const guarded = parts.map((sql) => guardOne(sql, change));
    if (
      change.pgObject?.drop && remade.has(key(change)) &&
      ["type", "enum", "domain", "function", "matview", "sequence"].includes(change.pgObject.kind)
    ) {
      // Dropped to be made again with another definition: a second run would drop the new one, which fails once
      // what the script made after it (a column of the type, a function using it) depends on it.
      guarded[0] = {
        ...guarded[0]!,
        unguarded: "a second run drops the object made again, which fails when what the script made after it " +
          "depends on it",
      };
    }
    if (parts.length > 1 && change.kind === "modify_column" && change.destructive) {
      // A column recreated (identity, serial, generated): each step may run again, but a second run
      // recreates the column once more and loses what was written to it since.
      guarded[0] = { ...guarded[0]!, unguarded: "a second run recreates the column again, losing its values again" };
    }
    out.push(...guarded);
  }
  return out;
}
