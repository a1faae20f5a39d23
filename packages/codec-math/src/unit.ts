import type { Unit, UnitComponent } from 'mathjs'
import { malformed, unsupported } from './errors.js'
import { fractionText, sameBigNumber } from './scalars.js'
import { own, record } from './shape.js'
import type { EncodedUnit, MathInstance } from './types.js'

type Numeric = 'number' | 'bigint' | 'Fraction' | 'BigNumber' | 'Complex'

function kindOf(math: MathInstance, x: unknown): Numeric | undefined {
  if (typeof x === 'number') return 'number'
  if (typeof x === 'bigint') return 'bigint'
  if (math.isFraction(x)) return 'Fraction'
  if (math.isBigNumber(x)) return 'BigNumber'
  if (math.isComplex(x)) return 'Complex'
  return undefined
}

/** Exact sameness of two Unit values: what the codec would encode identically. */
function sameValue(math: MathInstance, a: unknown, b: unknown): boolean {
  const kind = kindOf(math, a)
  if (kind !== kindOf(math, b)) return false
  switch (kind) {
    case 'Fraction':
      return fractionText(a as never) === fractionText(b as never)
    case 'BigNumber':
      return sameBigNumber(a as never, b as never)
    case 'Complex': {
      const x = a as { re: number; im: number }
      const y = b as { re: number; im: number }
      return Object.is(x.re, y.re) && Object.is(x.im, y.im)
    }
    default:
      return Object.is(a, b)
  }
}

function sameUnits(a: readonly UnitComponent[], b: readonly UnitComponent[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    // mathjs's typings say `prefix: string`; at run time it is a prefix object with a name.
    const px = (x.prefix as unknown as { name?: unknown }).name
    const py = (y.prefix as unknown as { name?: unknown }).name
    if (x.unit.name !== y.unit.name || px !== py || !Object.is(x.power, y.power)) return false
  }
  return true
}

type UnitConstructor = new (value: unknown, unit?: string | Unit) => Unit

/**
 * Encodes and decodes Units through one math instance's `Unit` class (its unit definitions, custom
 * units included, are what the unit strings are parsed against).
 */
export function unitCodec(math: MathInstance): {
  encode: (u: Unit) => EncodedUnit
  decode: (value: unknown) => Unit
} {
  const UnitClass = math.Unit as unknown as UnitConstructor
  const parse = (unit: string): Unit => {
    let parsed: Unit
    try {
      parsed = math.Unit.parse(unit)
    } catch (cause) {
      throw malformed(
        'mathjs.Unit',
        `mathjs cannot parse the unit ${JSON.stringify(unit.slice(0, 128))} (units made with createUnit must exist on the decoding instance too)`,
        cause,
      )
    }
    const value = (parsed as { value: unknown }).value
    if (value !== null && value !== undefined)
      throw malformed('mathjs.Unit', 'the unit string must not hold a value')
    return parsed
  }

  const encode = (u: Unit): EncodedUnit => {
    // mathjs's toJSON gives the value in the Unit's own units and the formatted unit string.
    const json = u.toJSON() as unknown as { value?: unknown; unit?: unknown }
    const unit = typeof json.unit === 'string' && u.units.length > 0 ? json.unit : null
    const value = json.value ?? null
    const internal = (u as { value: unknown }).value ?? null
    let rebuilt: Unit
    try {
      rebuilt = new UnitClass(value, unit ?? undefined)
    } catch (cause) {
      throw unsupported('mathjs.Unit', `mathjs cannot rebuild it from ${JSON.stringify(unit)}`, cause)
    }
    if (!sameUnits(rebuilt.units, u.units)) {
      throw unsupported('mathjs.Unit', `its units do not parse back from ${JSON.stringify(unit)}`)
    }
    const out: EncodedUnit = {
      value,
      unit,
      fixPrefix: u.fixPrefix === true,
      skipSimp: (u.skipAutomaticSimplification as boolean) === true,
    }
    if (!sameValue(math, (rebuilt as { value: unknown }).value ?? null, internal)) out.normalized = internal
    return out
  }

  const decode = (value: unknown): Unit => {
    const obj = record('mathjs.Unit', value, ['value', 'unit'], ['fixPrefix', 'skipSimp', 'normalized'])
    const unit = obj.unit
    if (unit !== null && typeof unit !== 'string')
      throw malformed('mathjs.Unit', 'unit must be a string or null')
    const fixPrefix = own(obj, 'fixPrefix') ?? false
    const skipSimp = own(obj, 'skipSimp') ?? true
    if (typeof fixPrefix !== 'boolean' || typeof skipSimp !== 'boolean') {
      throw malformed('mathjs.Unit', 'fixPrefix and skipSimp must be booleans')
    }
    const plain = obj.value ?? null
    if (plain !== null && kindOf(math, plain) === undefined) {
      throw malformed('mathjs.Unit', 'value must be a number, Fraction, BigNumber, Complex or null')
    }
    const u = new UnitClass(plain, unit === null ? undefined : parse(unit))
    u.fixPrefix = fixPrefix
    ;(u as { skipAutomaticSimplification: boolean }).skipAutomaticSimplification = skipSimp
    const normalized = own(obj, 'normalized')
    if (normalized !== undefined) {
      if (plain === null || kindOf(math, normalized) !== kindOf(math, plain)) {
        throw malformed('mathjs.Unit', 'normalized must have the type of value')
      }
      ;(u as { value: unknown }).value = normalized
    }
    return u
  }

  return { encode, decode }
}
