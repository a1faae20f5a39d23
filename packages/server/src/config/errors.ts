import { CompManagerError } from '@comp-manager/core'

/** One problem with one variable. */
export interface ConfigProblem {
  variable: string
  message: string
}

/**
 * The configuration is invalid: the message lists every problem, one line each, starting with the name
 * of the variable; `details.problems` has them as `{ variable, message }`.
 */
export class ConfigError extends CompManagerError {
  readonly problems: ConfigProblem[]

  constructor(problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`)
    super('CM_ERR_INVALID_ARGUMENT', 500, `Invalid configuration:\n${lines.join('\n')}`, {
      details: { problems, variables: problems.map((p) => p.variable) },
    })
    this.name = 'ConfigError'
    this.problems = problems
  }
}
