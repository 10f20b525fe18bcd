/** A debounced call: {@link Debounced.trigger} restarts the timer; the function runs once quiet. */
export interface Debounced {
  trigger(): void;
  cancel(): void;
}

/**
 * Runs `fn` once `ms` milliseconds have passed without another {@link Debounced.trigger}, so a
 * burst of file events (an editor's write, rename and chmod) becomes one reload.
 */
export function debounce(fn: () => void, ms: number): Debounced {
  let timer: NodeJS.Timeout | undefined;
  return {
    trigger: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        fn();
      }, ms);
    },
    cancel: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
