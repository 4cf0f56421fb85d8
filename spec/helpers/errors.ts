// Assertions on HansomError for the specs: a promise that must reject with one, and an
// assert.throws/rejects predicate for one with a given code.
import assert from "node:assert/strict";
import { HansomError } from "../../lib/errors.ts";

/** The HansomError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<HansomError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HansomError, `expected a HansomError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a rejection");
}

/** An assert.throws/assert.rejects validator: a HansomError with this code. */
export function isCode(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof HansomError, `a HansomError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}
