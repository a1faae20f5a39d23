import type { BigNumber, Complex, Fraction } from 'mathjs'
import { malformed, unsupported } from './errors.js'
import { own, record } from './shape.js'
import type { EncodedBigNumber, EncodedComplex, EncodedFraction, MathInstance } from './types.js'

// ── Fraction ────────────────────────────────────────────────────────────────────────────────────────

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/
const POSITIVE_TEXT = /^[1-9][0-9]*$/

/** fraction.js 5 (mathjs 15) keeps BigInts; fraction.js 4 (mathjs ≤ 14) kept numbers. */
type FractionParts = { s: bigint | number; n: bigint | number; d: bigint | number }

function integerText(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
  return undefined
}

/**
 * `{ n, d }`: fraction.js always keeps fractions in lowest terms with the sign apart (`s`), so the
 * output is canonical: the sign moves onto the numerator, and zero is `"0"` whatever its sign.
 */
export function encodeFraction(f: Fraction): EncodedFraction {
  const { s, n, d } = f as unknown as FractionParts
  const nText = integerText(n)
  const dText = integerText(d)
  if (nText === undefined || dText === undefined || !POSITIVE_TEXT.test(dText) || nText.startsWith('-')) {
    throw unsupported('mathjs.Fraction', 'numerator and denominator must be integers (fraction.js 4 or 5)')
  }
  return { n: Number(s) < 0 && nText !== '0' ? '-' + nText : nText, d: dText }
}

/** Accepts integer strings (any size); a fraction not in lowest terms is reduced by fraction.js. */
export function decodeFraction(math: MathInstance, value: unknown): Fraction {
  const obj = record('mathjs.Fraction', value, ['n', 'd'])
  const { n, d } = obj
  if (typeof n !== 'string' || !INTEGER_TEXT.test(n)) {
    throw malformed('mathjs.Fraction', 'n must be a decimal integer string, e.g. "-3"')
  }
  if (typeof d !== 'string' || !POSITIVE_TEXT.test(d)) {
    throw malformed('mathjs.Fraction', 'd must be a positive decimal integer string, e.g. "4"')
  }
  return math.fraction(`${n}/${d}`)
}

export function fractionText(f: Fraction): string {
  const { n, d } = encodeFraction(f)
  return `${n}/${d}`
}

// ── Complex ─────────────────────────────────────────────────────────────────────────────────────────

/** `{ re, im }`: the codec spells `-0`, `NaN` and `±Infinity` exactly. */
export function encodeComplex(c: Complex): EncodedComplex {
  const { re, im } = c
  if (typeof re !== 'number' || typeof im !== 'number') {
    throw unsupported('mathjs.Complex', 're and im must be numbers')
  }
  return { re, im }
}

export function decodeComplex(math: MathInstance, value: unknown): Complex {
  const { re, im } = record('mathjs.Complex', value, ['re', 'im'])
  if (typeof re !== 'number' || typeof im !== 'number')
    throw malformed('mathjs.Complex', 're and im must be numbers')
  const c = math.complex(re, im)
  // complex.js keeps the parts as given; check rather than assume (a change there must not go unseen).
  if (!Object.is(c.re, re) || !Object.is(c.im, im)) {
    throw malformed('mathjs.Complex', 'mathjs did not keep the parts as given')
  }
  return c
}

// ── BigNumber ───────────────────────────────────────────────────────────────────────────────────────

/** decimal.js's grammar for decimal numbers (no hexadecimal, binary or octal forms), with a sign. */
const DECIMAL_TEXT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/
const SPECIAL_TEXT = /^(?:NaN|-?Infinity)$/
/** decimal.js's MAX_DIGITS. */
const MAX_PRECISION = 1e9

export interface BigNumberClass {
  new (value: string): BigNumber
  precision: number
  clone(config: { precision: number }): BigNumberClass
  prototype: BigNumber
}

function precisionOf(x: BigNumber): number {
  const precision = (x.constructor as { precision?: unknown } | undefined)?.precision
  if (typeof precision !== 'number' || !Number.isSafeInteger(precision) || precision < 1) {
    throw unsupported('mathjs.BigNumber', 'its class has no integer precision (is it a decimal.js Decimal?)')
  }
  return precision
}

/**
 * The exact decimal text of a BigNumber, independent of any decimal.js output setting: as
 * `Number#toString` spells numbers (plain for exponents −7…20, exponential outside), every digit
 * kept, trailing zeros dropped (decimal.js stores none: `1.50` and `1.5` are the same value), and
 * `"-0"` for negative zero.
 */
export function decimalText(x: BigNumber): string {
  if (x.isNaN()) return 'NaN'
  if (!x.isFinite()) return x.isNegative() ? '-Infinity' : 'Infinity'
  if (x.isZero()) return x.isNegative() ? '-0' : '0'
  const exponent = x.e
  return exponent <= -7 || exponent >= 21 ? x.toExponential() : x.toFixed()
}

export function encodeBigNumber(x: BigNumber): EncodedBigNumber {
  return { value: decimalText(x), precision: precisionOf(x) }
}

export function sameBigNumber(a: BigNumber, b: BigNumber): boolean {
  return decimalText(a) === decimalText(b) && precisionOf(a) === precisionOf(b)
}

/**
 * Decodes to the math instance's own BigNumber class when the precision matches its current
 * `config.precision`; otherwise to a class of the recorded precision, made once per precision like
 * mathjs makes its own (a decimal.js clone whose prototype inherits mathjs's BigNumber prototype),
 * so arithmetic on the value rounds as it did before it was encoded.
 */
export function bigNumberDecoder(math: MathInstance, base: BigNumberClass): (value: unknown) => BigNumber {
  const classes = new Map<number, BigNumberClass>()
  const classOf = (precision: number): BigNumberClass => {
    if (base.precision === precision) return base
    let cls = classes.get(precision)
    if (cls === undefined) {
      cls = base.clone({ precision })
      cls.prototype = Object.create(base.prototype) as BigNumber
      classes.set(precision, cls)
    }
    return cls
  }
  return (value) => {
    const obj = record('mathjs.BigNumber', value, ['value'], ['precision'])
    const text = obj.value
    if (typeof text !== 'string' || !(DECIMAL_TEXT.test(text) || SPECIAL_TEXT.test(text))) {
      throw malformed('mathjs.BigNumber', 'value must be a decimal string, e.g. "1.5", "-2e-30" or "NaN"')
    }
    const precision = own(obj, 'precision')
    if (precision === undefined) return math.bignumber(text)
    if (
      typeof precision !== 'number' ||
      !Number.isSafeInteger(precision) ||
      precision < 1 ||
      precision > MAX_PRECISION
    ) {
      throw malformed('mathjs.BigNumber', `precision must be an integer from 1 to ${MAX_PRECISION}`)
    }
    const cls = classOf(precision)
    return new cls(text)
  }
}
