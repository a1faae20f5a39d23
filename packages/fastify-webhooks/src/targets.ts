/**
 * Where a webhook may point. A target is an absolute `http:` or `https:` URL without credentials;
 * unless the configuration allows it, it may not name (nor resolve to) a loopback, private,
 * link-local, shared (CGNAT), multicast, reserved or unspecified address, so a subscription cannot
 * make the server call its own admin ports or a cloud metadata endpoint. The check runs when a
 * subscription is saved (the URL, and every address its host resolves to) and again on every
 * connection (`guardedLookup`), so a DNS answer that changes later is refused too.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

const forbidden = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  forbidden.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  forbidden.addSubnet(net, bits, 'ipv6')

/** Options of the target check. */
export interface TargetPolicy {
  /** Allow loopback, private and link-local targets (development, tests, an internal network). */
  allowPrivate: boolean
  /** Allow `http:` targets (default true; `false` requires `https:`). */
  allowHttp: boolean
}

/** Why a target is refused (`null`: it is fine). */
export type TargetProblem = {
  reason: 'malformed' | 'scheme' | 'credentials' | 'forbidden-address'
  message: string
}

/** True when `address` (an IP literal) is one a webhook may not reach. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.startsWith('[') ? address.slice(1, -1) : address
  const family = isIP(bare)
  if (family === 0) return false
  return forbidden.check(bare, family === 4 ? 'ipv4' : 'ipv6')
}

/** The checks that need no DNS: the URL's form and, when its host is an IP literal, the address. */
export function checkTargetUrl(raw: string, policy: TargetPolicy): TargetProblem | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { reason: 'malformed', message: 'is not an absolute URL' }
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    return { reason: 'scheme', message: `must be ${policy.allowHttp ? 'http: or https:' : 'https:'}` }
  }
  if (url.hostname === '') return { reason: 'malformed', message: 'has no host' }
  if (url.username !== '' || url.password !== '')
    return { reason: 'credentials', message: 'may not carry credentials (user:password@)' }
  if (!policy.allowPrivate && (isForbiddenAddress(url.hostname) || url.hostname === 'localhost')) {
    return { reason: 'forbidden-address', message: `points at a forbidden address (${url.hostname})` }
  }
  return null
}

/** Every address `host` resolves to. */
export function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)))
  })
}

/** {@link checkTargetUrl}, then the addresses its host resolves to (every one must be allowed). */
export async function checkTarget(raw: string, policy: TargetPolicy): Promise<TargetProblem | null> {
  const problem = checkTargetUrl(raw, policy)
  if (problem !== null || policy.allowPrivate) return problem
  const host = new URL(raw).hostname
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return null
  let addresses: LookupAddress[]
  try {
    addresses = await resolveAll(host)
  } catch (err) {
    return {
      reason: 'malformed',
      message: `host ${host} does not resolve (${(err as NodeJS.ErrnoException).code})`,
    }
  }
  const bad = addresses.find((a) => isForbiddenAddress(a.address))
  return bad === undefined
    ? null
    : {
        reason: 'forbidden-address',
        message: `host ${host} resolves to a forbidden address (${bad.address})`,
      }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for `http.request` that refuses forbidden addresses at connection time (DNS rebinding:
 * a name that resolved to a public address when saved and to 127.0.0.1 now).
 */
export function guardedLookup(policy: TargetPolicy) {
  return (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, address as string, family)
      const list = Array.isArray(address) ? address : [{ address, family }]
      const bad = policy.allowPrivate ? undefined : list.find((a) => isForbiddenAddress(a.address))
      if (bad !== undefined) {
        const refused = Object.assign(
          new Error(`${hostname} resolves to a forbidden address (${bad.address})`),
          {
            code: 'CM_ERR_FORBIDDEN_TARGET',
          },
        )
        return callback(refused, address as string, family)
      }
      callback(null, address as string, family)
    })
  }
}
