// Query parameters of the list endpoints as rabbit_mgmt_util has them: sort / sort_reverse (dotted paths
// such as message_stats.publish_details.rate), name filter (use_regex), columns (dotted paths), and
// pagination (page, page_size ≤ 500) answering {filtered_count, item_count, items, page, page_count,
// page_size, total_count}.
import { badRequest, HttpError, type Ctx } from './context.js';
import type { Json } from './views.js';

const MAX_PAGE_SIZE = 500;

function get(o: unknown, path: string[]): unknown {
  let v = o;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Json)[k];
  }
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/** Keep only the dotted `columns` of each item (nested objects keep the named leaves). */
function pick(item: Json, columns: string[][]): Json {
  const out: Json = {};
  for (const path of columns) {
    const v = get(item, path);
    if (v === undefined) continue;
    let o = out;
    for (let i = 0; i < path.length - 1; i++) o = (o[path[i]!] ??= {}) as Json;
    o[path[path.length - 1]!] = v;
  }
  return out;
}

/** Apply filter, sort, pagination and columns to a list endpoint's items. */
export function listResult(c: Ctx, items: Json[]): unknown {
  const q = c.query;
  const total = items.length;
  const name = q.get('name');
  if (name !== null && name !== '') {
    let test: (s: string) => boolean;
    if (q.get('use_regex') === 'true') {
      let re: RegExp;
      try {
        re = new RegExp(name, 'i');
      } catch {
        throw badRequest(`invalid regex: ${name}`);
      }
      test = (s) => re.test(s);
    } else {
      const lower = name.toLowerCase();
      test = (s) => s.toLowerCase().includes(lower);
    }
    items = items.filter((i) => test(String(i['name'] ?? '')));
  }
  const sort = q.get('sort');
  const reverse = q.get('sort_reverse') === 'true';
  if (sort !== null && sort !== '') {
    const path = sort.split('.');
    items.sort((a, b) => compare(get(a, path), get(b, path)));
  } else {
    // RabbitMQ's default order: vhost, then name (plain string compares: this runs over 10,000s of items)
    items.sort((a, b) => {
      const va = a['vhost'] as string;
      const vb = b['vhost'] as string;
      if (va !== vb) return va < vb ? -1 : 1;
      const na = a['name'] as string;
      const nb = b['name'] as string;
      return na === nb ? 0 : na < nb ? -1 : 1;
    });
  }
  if (reverse) items.reverse();
  const cols = q.get('columns');
  const columns = cols ? cols.split(',').map((s) => s.split('.')) : null;
  const page = q.get('page');
  if (page === null) return columns ? items.map((i) => pick(i, columns)) : items;
  const pageNo = Number(page);
  const pageSize = Number(q.get('page_size') ?? 100);
  if (
    !Number.isInteger(pageNo) ||
    !Number.isInteger(pageSize) ||
    pageNo < 1 ||
    pageSize < 1 ||
    pageSize > MAX_PAGE_SIZE
  ) {
    throw new HttpError(
      400,
      'invalid_pagination_parameters',
      `Invalid pagination parameters: page number ${page}, page size ${q.get('page_size') ?? 100}`,
    );
  }
  const filtered = items.length;
  const pageCount = Math.max(1, Math.ceil(filtered / pageSize));
  if (pageNo > pageCount) {
    throw new HttpError(
      400,
      'page_out_of_range',
      `Page out of range, page: ${pageNo} page size: ${pageSize}, len: ${filtered}`,
    );
  }
  const slice = items.slice((pageNo - 1) * pageSize, pageNo * pageSize);
  return {
    filtered_count: filtered,
    item_count: slice.length,
    items: columns ? slice.map((i) => pick(i, columns)) : slice,
    page: pageNo,
    page_count: pageCount,
    page_size: pageSize,
    total_count: total,
  };
}
