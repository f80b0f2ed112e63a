-- The optimistic checks of a transaction's deferred writes (src/adapters/postgres/PgSession.ts), raised
-- inside the write statement itself: the COMMIT that travels with it in the same round trip then finds
-- the transaction aborted and rolls it back. `part` names the write (w0, w1, ...) that touched fewer rows
-- than expected, i.e. a row changed or was created concurrently.
CREATE FUNCTION inventory_write_check(part text, touched bigint, expected int) RETURNS int
LANGUAGE plpgsql AS $$
BEGIN
  IF touched IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'deferred write % touched % row(s), expected %', part, touched, expected
      USING ERRCODE = 'IV409', DETAIL = part;
  END IF;
  RETURN touched;
END
$$;
