// The footer of a keyset-paginated list: how many rows are shown and a button for the next page.

export function LoadMore({
  shown,
  hasMore,
  loading,
  onLoadMore,
}: {
  shown: number;
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
}) {
  return (
    <div className="load-more">
      <span className="muted">
        {shown} shown{hasMore ? '' : ' — end of list'}
      </span>
      {hasMore ? (
        <button type="button" className="btn" onClick={onLoadMore} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}
