import { costCelVariables } from '@aigw/filterapi';
import { Environment } from '@marcbachmann/cel-js';

let environment: Environment | undefined;

function env(): Environment {
  if (environment) return environment;
  let e = new Environment();
  for (const [name, type] of Object.entries(costCelVariables)) e = e.registerVariable(name, type);
  environment = e;
  return e;
}

/**
 * Why a CEL cost expression is unusable — checked against the variables the extproc evaluates it
 * with (`costCelVariables`), since an expression the extproc refuses would make it refuse the
 * whole config of the Gateway; the controller refuses the route instead — (it does not
 * parse, does not type-check, or does not yield an int or uint), or undefined when the extproc will
 * accept it.
 */
export function celCostProblem(expression: string): string | undefined {
  let program: ReturnType<Environment['parse']>;
  try {
    program = env().parse(expression);
  } catch (err) {
    return `CEL does not parse: ${firstLine(err)}`;
  }
  const checked = program.check();
  if (!checked.valid) return `CEL does not type-check: ${firstLine(checked.error)}`;
  if (checked.type !== 'int' && checked.type !== 'uint') {
    return `CEL must yield an int or uint, not ${String(checked.type)}`;
  }
  return undefined;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
