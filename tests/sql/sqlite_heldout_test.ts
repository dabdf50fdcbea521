/**
 * The held-out SQLite suite (sqlite_heldout.ts): see _sqlite_heldout_suite.ts for what each test checks.
 *
 * Pass rate: `deno test --allow-all tests/sql/sqlite_heldout_test.ts`
 * (the last test prints it).
 */

import { SQLITE_HELDOUT } from "./sqlite_heldout.ts";
import { sqliteHeldoutSuite } from "./_sqlite_heldout_suite.ts";

sqliteHeldoutSuite("SQLite held-out", "held-out", SQLITE_HELDOUT);
