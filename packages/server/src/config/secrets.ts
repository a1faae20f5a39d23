import { randomBytes } from 'node:crypto'

export const MIN_JWT_SECRET_LENGTH = 32

/** Placeholders found in sample `.env` files and tutorials; a secret containing one is refused in production. */
const placeholderWords = [
  'changeme',
  'change-me',
  'change_me',
  'changethis',
  'replaceme',
  'replace-me',
  'your-secret',
  'your_secret',
  'yoursecret',
  'supersecret',
  'super-secret',
  'mysecret',
  'my-secret',
  'jwt-secret',
  'jwt_secret',
  'jwtsecret',
  'placeholder',
  'example',
  'insecure',
  'not-secret',
  'notsecret',
  'development',
  'dev-secret',
  'password',
  'secretkey',
  'secret-key',
  'default',
]

/**
 * Why `secret` is too weak to sign tokens in production, or `null` when it is acceptable: shorter than
 * 32 characters, fewer than 10 distinct characters, or containing a placeholder (`changeme`, `secret-key`…).
 */
export function weakSecretReason(secret: string): string | null {
  if (secret.length < MIN_JWT_SECRET_LENGTH) {
    return `must be at least ${MIN_JWT_SECRET_LENGTH} characters (got ${secret.length})`
  }
  if (new Set(secret).size < 10) return 'has fewer than 10 distinct characters: use a random secret'
  const lower = secret.toLowerCase()
  const word = placeholderWords.find((w) => lower.includes(w))
  if (word !== undefined) return `contains the placeholder ${JSON.stringify(word)}: use a random secret`
  if (/^(.{1,16}?)\1+.{0,16}$/s.test(secret)) return 'is a short pattern repeated: use a random secret'
  return null
}

/** Generates a secret suitable for `JWT_SECRET` (48 random bytes, base64url). */
export function generateSecret(): string {
  return randomBytes(48).toString('base64url')
}
