// Small building blocks shared by the pages.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

export function ErrorBox({ error }) {
  if (!error) return null;
  return <div class="error" role="alert">{error.message || String(error)}</div>;
}

export function Page({ title, actions, children }) {
  return (
    <section class="page">
      <header class="page-head">
        <h1>{title}</h1>
        <div class="actions">{actions}</div>
      </header>
      {children}
    </section>
  );
}

/**
 * columns: [{ key, label, render?(row), class? }]; `empty` shown when there are no rows.
 * `rowKey(row)` names the row for tests and updates.
 */
export function Table({ columns, rows, rowKey, empty = 'Nothing here yet.', loading }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>{columns.map((c) => <th class={c.class}>{c.label}</th>)}</tr>
        </thead>
        <tbody>
          {(rows || []).map((r, i) => (
            <tr key={rowKey ? rowKey(r) : i} data-key={rowKey ? rowKey(r) : undefined}>
              {columns.map((c) => <td class={c.class}>{c.render ? c.render(r) : fmt(r[c.key])}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      {rows && rows.length === 0 && !loading && <p class="empty">{empty}</p>}
      {!rows && loading && <p class="empty">Loading…</p>}
    </div>
  );
}

const fmt = (v) => (v === undefined || v === null ? '-' : typeof v === 'boolean' ? (v ? 'true' : 'false') : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** EMQX pages: `meta` {page, limit, count, hasnext}; count -1 means only prev/next is known */
export function Pager({ meta, page, limit, onPage, onLimit }) {
  const count = meta?.count ?? -1;
  const pages = count >= 0 ? Math.max(1, Math.ceil(count / limit)) : undefined;
  const hasnext = meta ? (meta.hasnext ?? (pages !== undefined && page < pages)) : false;
  return (
    <div class="pager">
      <button class="btn small" disabled={page <= 1} onClick={() => onPage(page - 1)}>‹ Prev</button>
      <span class="muted">Page {page}{pages !== undefined ? ` of ${pages}` : ''}{count >= 0 ? ` · ${count} total` : ''}</span>
      <button class="btn small" disabled={!hasnext} onClick={() => onPage(page + 1)}>Next ›</button>
      <select value={limit} onChange={(e) => onLimit(Number(e.currentTarget.value))} aria-label="Rows per page">
        {[10, 20, 50, 100].map((n) => <option value={n}>{n} / page</option>)}
      </select>
    </div>
  );
}

/** a button that asks once more before acting ("Kick" → "Sure?") */
export function ConfirmButton({ label, confirm = 'Sure?', onConfirm, class: cls = 'btn small danger', disabled }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!asking) return undefined;
    const t = setTimeout(() => setAsking(false), 4000);
    return () => clearTimeout(t);
  }, [asking]);
  const click = async () => {
    if (!asking) return setAsking(true);
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return <button class={cls} disabled={disabled || busy} onClick={click}>{asking ? confirm : label}</button>;
}

export function Stat({ label, value, hint }) {
  return (
    <div class="stat">
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
      {hint && <div class="stat-hint muted">{hint}</div>}
    </div>
  );
}

export function Badge({ ok, children }) {
  return <span class={`badge ${ok ? 'ok' : 'off'}`}>{children}</span>;
}

const PALETTE = ['#22a06b', '#3b82f6', '#f59e0b', '#ef4444', '#8b5cf6', '#14b8a6'];

/**
 * A live uPlot chart. `data` = [times (s), ...series]; `series` = [{label}], `fmt` formats the y axis.
 * The chart is made once and given new data on every render.
 */
export function Chart({ title, series, data, fmt = (v) => String(v), height = 200, id, axis = 60 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    const el = box.current;
    const opts = {
      width: el.clientWidth || 400,
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#8a94a6', grid: { stroke: '#eef0f4' } },
        { stroke: '#8a94a6', grid: { stroke: '#eef0f4' }, size: axis, values: (u, vals) => vals.map((v) => fmt(v)) },
      ],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, dash: s.dash, fill: i === 0 ? PALETTE[0] + '18' : undefined, points: { show: false }, value: (u, v) => (v == null ? '-' : fmt(v)) }))],
    };
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.current && plot.current.setSize({ width: el.clientWidth, height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height]);
  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  }, [data]);
  return (
    <div class="card chart" id={id}>
      <h3>{title}</h3>
      <div ref={box} class="chart-box" data-points={data[0].length} />
    </div>
  );
}
