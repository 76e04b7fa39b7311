/**
 * Seeded synthetic streams for the Hoeffding tree tests, written from their
 * published definitions and drawn with SeededRandom (mulberry32), exactly as
 * test/fixtures/generate_tree.py draws them in Python (see its docstring for
 * the definitions): SEA concepts, Agrawal functions 1–10, Friedman #1.
 */
import { SeededRandom } from "../../src/index.js";

/** A stream as one row-major batch. */
export interface Stream {
  X: Float64Array;
  y: Float64Array;
  cols: number;
  rows: number;
}

function collect(n: number, cols: number, row: (x: Float64Array) => number): Stream {
  const X = new Float64Array(n * cols);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = row(X.subarray(i * cols, (i + 1) * cols));
  return { X, y, cols, rows: n };
}

/** SEA concepts (Street & Kim, 2001): y = x0 + x1 > theta, labels flipped with probability `noise`. */
export function sea(seed: number, n: number, theta = 8, noise = 0.1): Stream {
  const r = new SeededRandom(seed);
  return collect(n, 3, (x) => {
    x[0] = 10 * r.next();
    x[1] = 10 * r.next();
    x[2] = 10 * r.next();
    let label = x[0]! + x[1]! > theta ? 1 : 0;
    if (r.next() < noise) label = 1 - label;
    return label;
  });
}

/** Agrawal et al. (1993) classification functions 1 to 10; 1 = group A. */
export function agrawal(seed: number, n: number, fn: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10): Stream {
  const r = new SeededRandom(seed);
  return collect(n, 9, (x) => {
    const salary = 20000 + 130000 * r.next();
    const u = r.next();
    const commission = salary >= 75000 ? 0 : 10000 + 65000 * u;
    const age = 20 + 60 * r.next();
    const elevel = Math.floor(5 * r.next());
    const car = 1 + Math.floor(20 * r.next());
    const zipcode = Math.floor(9 * r.next());
    const hvalue = (9 - zipcode) * 100000 * (0.5 + r.next());
    const hyears = 1 + 29 * r.next();
    const loan = 500000 * r.next();
    x.set([salary, commission, age, elevel, car, zipcode, hvalue, hyears, loan]);
    const within = (v: number, lo: number, hi: number): boolean => v >= lo && v <= hi;
    let a: boolean;
    switch (fn) {
      case 1:
        a = age < 40 || age >= 60;
        break;
      case 2:
        a = age < 40 ? within(salary, 50000, 100000) : age < 60 ? within(salary, 75000, 125000) : within(salary, 25000, 75000);
        break;
      case 3:
        a = age < 40 ? elevel <= 1 : age < 60 ? elevel >= 1 && elevel <= 3 : elevel >= 2;
        break;
      case 4:
        a = age < 40
          ? elevel <= 1 ? within(salary, 25000, 75000) : within(salary, 50000, 100000)
          : age < 60
            ? elevel >= 1 && elevel <= 3 ? within(salary, 50000, 100000) : within(salary, 75000, 125000)
            : elevel >= 2 ? within(salary, 50000, 100000) : within(salary, 25000, 75000);
        break;
      case 5:
        a = age < 40
          ? within(loan, 50000, 100000) ? within(salary, 25000, 75000) : within(salary, 50000, 100000)
          : age < 60
            ? within(loan, 100000, 300000) ? within(salary, 50000, 100000) : within(salary, 75000, 125000)
            : within(loan, 200000, 400000) ? within(salary, 50000, 100000) : within(salary, 25000, 75000);
        break;
      case 6: {
        const t = salary + commission;
        a = age < 40 ? within(t, 50000, 100000) : age < 60 ? within(t, 75000, 125000) : within(t, 25000, 75000);
        break;
      }
      case 7:
        a = 0.67 * (salary + commission) - 0.2 * loan - 20000 > 0;
        break;
      case 8:
        a = 0.67 * (salary + commission) - 5000 * elevel - 20000 > 0;
        break;
      case 9:
        a = 0.67 * (salary + commission) - 5000 * elevel - 0.2 * loan - 10000 > 0;
        break;
      case 10: {
        // Equity counts once the house has been owned for more than 20 years.
        const equity = 0.1 * hvalue * Math.max(hyears - 20, 0);
        a = 0.67 * (salary + commission) - 5000 * elevel + 0.2 * equity - 10000 > 0;
        break;
      }
    }
    return a ? 1 : 0;
  });
}

/** Friedman #1: ten U[0, 1] features, y = 10 sin(π x0 x1) + 20 (x2 − ½)² + 10 x3 + 5 x4 + noise·N(0, 1). */
export function friedman1(seed: number, n: number, noise = 1): Stream {
  const r = new SeededRandom(seed);
  return collect(n, 10, (x) => {
    for (let j = 0; j < 10; j++) x[j] = r.next();
    const t = 10 * Math.sin(Math.PI * x[0]! * x[1]!) + 20 * (x[2]! - 0.5) ** 2 + 10 * x[3]! + 5 * x[4]!;
    return t + noise * r.nextGaussian();
  });
}

/** Rows [from, to) of a stream as a batch. */
export function slice(s: Stream, from: number, to: number): { X: Float64Array; cols: number; y: Float64Array } {
  return { X: s.X.subarray(from * s.cols, to * s.cols), cols: s.cols, y: s.y.subarray(from, to) };
}
