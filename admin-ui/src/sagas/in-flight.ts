// The steps whose commands a saga awaits: the current step, and those of its stage sent alongside it.

/** The current step first, then the steps in flight with it (a stage sends several commands at once). */
export function stepsInFlight(saga: { currentStep: string | null; state?: unknown }): string[] {
  if (!saga.currentStep) return [];
  const alongside = (saga.state as { alongside?: { step?: unknown }[] } | null | undefined)?.alongside;
  const others = Array.isArray(alongside)
    ? alongside.flatMap((c) => (typeof c?.step === 'string' ? [c.step] : []))
    : [];
  return [saga.currentStep, ...others];
}
