// Data hooks: load once (with reload), or poll every few seconds.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** runs `fn` now and whenever `deps` change; returns { data, error, loading, reload } */
export function useLoad(fn, deps = []) {
  const [state, set] = useState({ data: undefined, error: undefined, loading: true });
  const seq = useRef(0);
  const reload = useCallback(() => {
    const n = ++seq.current;
    set((s) => ({ ...s, loading: true }));
    Promise.resolve()
      .then(fn)
      .then(
        (data) => n === seq.current && set({ data, error: undefined, loading: false }),
        (error) => n === seq.current && set((s) => ({ data: s.data, error, loading: false })),
      );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    reload();
  }, [reload]);
  return { ...state, reload };
}

/** calls `fn` every `ms` (skipping a tick while one is still running) until unmounted */
export function usePoll(fn, ms) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    let busy = false;
    let alive = true;
    const tick = async () => {
      if (busy || !alive) return;
      busy = true;
      try {
        await ref.current();
      } finally {
        busy = false;
      }
    };
    tick();
    const t = setInterval(tick, ms);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [ms]);
}
