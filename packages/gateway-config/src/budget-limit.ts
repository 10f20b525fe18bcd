/** The limiter's limits are 32-bit, as envoyproxy/ratelimit's `requests_per_unit`. */
const maxLimit = 4_294_967_295;

/** A limit the limiter can hold: a problem when negative or beyond 32 bits. */
export function checkLimit(value: number, problem: (message: string) => void): void {
  if (value < 0) problem(`${String(value)} is negative`);
  else if (value > maxLimit) {
    problem(
      `${String(value)} is above the limiter's 32-bit maximum (${String(maxLimit)}); a money budget can count in milli-units or cents (the price catalog's budgetUnit)`,
    );
  }
}
