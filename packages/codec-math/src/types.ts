import type { MathJsInstance } from 'mathjs'

/** The codec tags this package registers, in registration order. */
export const mathTypeNames = [
  'mathjs.Fraction',
  'mathjs.Complex',
  'mathjs.BigNumber',
  'mathjs.DenseMatrix',
  'mathjs.SparseMatrix',
  'mathjs.Unit',
] as const

export type MathTypeName = (typeof mathTypeNames)[number]

/**
 * What `registerMathTypes` needs from a mathjs instance: `create(all)` or the default
 * `import * as math from 'mathjs'` both fit. At run time it also needs the classes `BigNumber`,
 * `DenseMatrix` and `SparseMatrix` (present on every full instance, absent from mathjs's typings).
 */
export type MathInstance = Pick<
  MathJsInstance,
  | 'isFraction'
  | 'isComplex'
  | 'isBigNumber'
  | 'isDenseMatrix'
  | 'isSparseMatrix'
  | 'isUnit'
  | 'fraction'
  | 'complex'
  | 'bignumber'
  | 'Unit'
>

// ── Wire formats: the `value` of each tag, before the codec encodes its entries ─────────────────────

/** `mathjs.Fraction`: lowest terms, sign on the numerator, decimal integer strings (any size). */
export interface EncodedFraction {
  /** Numerator, e.g. `"-1"`; `"0"` for zero (never `"-0"`). */
  n: string
  /** Denominator, a positive integer, e.g. `"2"`. */
  d: string
}

/** `mathjs.Complex`: both parts as numbers (the codec carries `-0`, `NaN` and `±Infinity`). */
export interface EncodedComplex {
  re: number
  im: number
}

/** `mathjs.BigNumber`: the exact value and the precision of the BigNumber's class. */
export interface EncodedBigNumber {
  /**
   * Exact decimal text, normalised: no trailing zeros, plain notation for exponents −7…20 and
   * `1.5e+30`-style notation outside; `"-0"`, `"NaN"`, `"Infinity"`, `"-Infinity"` for the specials.
   */
  value: string
  /** Significant digits its class computes with (mathjs's `config.precision` when it was made). */
  precision: number
}

/** `mathjs.DenseMatrix`: the size and the nested rows; entries are encoded by the codec. */
export interface EncodedDenseMatrix {
  size: number[]
  data: unknown[]
  /** Only when the matrix has one (`math.matrix(data, 'dense', 'number')`). */
  datatype?: string
}

/**
 * `mathjs.SparseMatrix`: compressed sparse columns (CSC) with the row indices of each column in
 * increasing order. Entries stored explicitly (even zeros) stay stored.
 */
export interface EncodedSparseMatrix {
  /** `[rows, columns]`. */
  size: [number, number]
  /** `columns + 1` offsets into `index`/`values`: column `j` is `ptr[j] … ptr[j+1]-1`. */
  ptr: number[]
  /** Row of each stored entry. */
  index: number[]
  /** Stored entries; absent for a pattern matrix (mathjs's `SparseMatrix` without values). */
  values?: unknown[]
  datatype?: string
}

/** `mathjs.Unit`: as mathjs's own `toJSON`, plus the internal value when it is needed to be exact. */
export interface EncodedUnit {
  /** The value in the Unit's own units (`1` for `1 km`): number, Fraction, BigNumber, Complex or null. */
  value: unknown
  /** The units as mathjs formats them, prefixes included (`"km"`, `"(kN m) / s^2"`); null for none. */
  unit: string | null
  fixPrefix: boolean
  skipSimp: boolean
  /**
   * mathjs keeps a Unit's value in base units (`1000` for `1 km`). When recomputing it from `value`
   * and `unit` would not give back exactly the same internal value (floating point, or a BigNumber
   * with more digits than its precision), the internal value is stored here too, same type as `value`.
   */
  normalized?: unknown
}
