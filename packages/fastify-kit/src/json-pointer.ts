/** One JSON-pointer segment for `key` (`/` prefixed; `~` and `/` escaped as `~0` and `~1`). */
export const pointer = (key: string): string => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`
