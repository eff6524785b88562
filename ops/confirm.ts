/** The confirmation before a command deletes or replaces data: typing the stack name, or --yes in scripts. */
import type { OpsContext } from "./context";
import { note } from "./context";
import { OpsError, UsageError } from "./errors";

export async function confirm(ctx: OpsContext, warning: string, stack: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!ctx.interactive) throw new UsageError(`${warning} Nothing was changed: pass --yes to confirm without a prompt.`);
  note(ctx, warning);
  const answer = await ctx.ask(`Type the stack name (${stack}) to continue, anything else cancels: `);
  if (answer.trim() !== stack) throw new OpsError("cancelled: nothing was changed");
}
