/**
 * The second held-out SQLite suite (sqlite_heldout2.ts): see _sqlite_heldout_suite.ts for what each test checks.
 *
 * Pass rate: `deno test --allow-all tests/sql/sqlite_heldout2_test.ts`
 * (the last test prints it).
 */

import { SQLITE_HELDOUT2 } from "./sqlite_heldout2.ts";
import { sqliteHeldoutSuite } from "./_sqlite_heldout_suite.ts";

sqliteHeldoutSuite("SQLite held-out 2", "held-out 2", SQLITE_HELDOUT2);
