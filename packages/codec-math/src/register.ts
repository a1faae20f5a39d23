import { Codec, type CodecLimits, defaultCodec } from '@comp-manager/core/codec'
import { cmError, describeType } from '@comp-manager/core/errors'
import type { BigNumber, Complex, Fraction, Matrix, Unit } from 'mathjs'
import { decoding, encoding } from './errors.js'
import { decodeDense, decodeSparse, encodeDense, encodeSparse, type MatrixClass } from './matrix.js'
import {
  type BigNumberClass,
  bigNumberDecoder,
  decodeComplex,
  decodeFraction,
  encodeBigNumber,
  encodeComplex,
  encodeFraction,
} from './scalars.js'
import { type MathInstance, type MathTypeName, mathTypeNames } from './types.js'
import { unitCodec } from './unit.js'

/** The math instance each codec's mathjs types were registered with. */
const registrations = new WeakMap<Codec, object>()

const GUARDS = [
  'isFraction',
  'isComplex',
  'isBigNumber',
  'isDenseMatrix',
  'isSparseMatrix',
  'isUnit',
] as const
const FACTORIES = ['fraction', 'complex', 'bignumber'] as const
const CLASSES = ['BigNumber', 'DenseMatrix', 'SparseMatrix', 'Unit'] as const

function checkMath(math: unknown): asserts math is MathInstance {
  if ((typeof math !== 'object' && typeof math !== 'function') || math === null) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `registerMathTypes needs a mathjs instance, got ${describeType(math)}`,
      {
        details: { option: 'math' },
      },
    )
  }
  const m = math as Record<string, unknown>
  for (const key of [...GUARDS, ...FACTORIES, ...CLASSES]) {
    if (typeof m[key] !== 'function') {
      throw cmError(
        'CM_ERR_INVALID_ARGUMENT',
        `registerMathTypes: the mathjs instance has no ${key}(); pass create(all) or import * as math from 'mathjs'`,
        { details: { option: 'math', missing: key } },
      )
    }
  }
}

/**
 * mathjs's guards read `x.constructor.prototype`, which throws for an object without a constructor
 * (`Object.create(Object.create(null))`). The codec asks every registered guard about every
 * unknown object, so such an object must get "not mine", and then the codec's own error.
 */
function safeGuard(guard: (x: unknown) => boolean): (x: unknown) => boolean {
  return (x) => {
    try {
      return guard(x) === true
    } catch {
      return false
    }
  }
}

/**
 * Registers the mathjs types on `codec` (default: core's process-wide `defaultCodec`, the one
 * `encode`/`decode`/`hashKey` use when given no codec): `mathjs.Fraction`, `mathjs.Complex`,
 * `mathjs.BigNumber`, `mathjs.DenseMatrix`, `mathjs.SparseMatrix` and `mathjs.Unit`. Values are
 * recognised with mathjs's own guards (so values of any mathjs instance are encoded) and decoded
 * through `math`'s factories and classes.
 *
 * Calling it again with the same `math` on the same codec does nothing and returns the codec.
 * With another instance, or when a `mathjs.*` name is already taken on the codec (registered by
 * other code, or copied by `codec.withLimits()`), it throws `CM_ERR_TYPE_REGISTERED` and registers
 * nothing.
 */
export function registerMathTypes<C extends Codec = Codec>(math: MathInstance, codec?: C): C {
  const target = (codec ?? defaultCodec) as C
  checkMath(math)
  // Duck-typed rather than `instanceof`: a second copy of core in node_modules must still work.
  if (typeof target?.registerType !== 'function' || typeof target.hasType !== 'function') {
    throw cmError('CM_ERR_INVALID_ARGUMENT', `registerMathTypes needs a Codec, got ${describeType(target)}`, {
      details: { option: 'codec' },
    })
  }
  const previous = registrations.get(target)
  if (previous === math) return target
  if (previous !== undefined) {
    throw cmError(
      'CM_ERR_TYPE_REGISTERED',
      'mathjs types are already registered on this codec with another mathjs instance; use createMathCodec(math) for a codec of its own',
      { details: { types: [...mathTypeNames] } },
    )
  }
  const taken = mathTypeNames.filter((name) => target.hasType(name))
  if (taken.length > 0) {
    throw cmError(
      'CM_ERR_TYPE_REGISTERED',
      `codec types ${taken.join(', ')} are already registered on this codec (by other code, or copied by withLimits()); nothing was registered`,
      { details: { types: taken } },
    )
  }

  const m = math as unknown as Record<(typeof CLASSES)[number], unknown>
  const DenseMatrix = m.DenseMatrix as MatrixClass
  const SparseMatrix = m.SparseMatrix as MatrixClass
  const decodeBigNumber = bigNumberDecoder(math, m.BigNumber as BigNumberClass)
  const units = unitCodec(math)

  const define = <T>(
    name: MathTypeName,
    is: (x: unknown) => boolean,
    encode: (value: T) => unknown,
    decode: (value: unknown) => T,
  ): void => {
    target.registerType<T, unknown>({
      name,
      is: safeGuard(is),
      encode: (value) => encoding(name, () => encode(value)),
      decode: (value) => decoding(name, () => decode(value)),
    })
  }
  define<Fraction>('mathjs.Fraction', math.isFraction, encodeFraction, (v) => decodeFraction(math, v))
  define<Complex>('mathjs.Complex', math.isComplex, encodeComplex, (v) => decodeComplex(math, v))
  define<BigNumber>('mathjs.BigNumber', math.isBigNumber, encodeBigNumber, decodeBigNumber)
  define<Matrix>('mathjs.DenseMatrix', math.isDenseMatrix, encodeDense, (v) => decodeDense(DenseMatrix, v))
  define<Matrix>('mathjs.SparseMatrix', math.isSparseMatrix, encodeSparse, (v) =>
    decodeSparse(SparseMatrix, v),
  )
  define<Unit>('mathjs.Unit', math.isUnit, units.encode, units.decode)
  registrations.set(target, math)
  return target
}

/** A fresh `Codec` (with `limits`) with the mathjs types of `math` registered. */
export function createMathCodec(math: MathInstance, limits?: CodecLimits): Codec {
  return registerMathTypes(math, new Codec(limits))
}
