-- mutant: helper-without-search-path
-- kills: SUT-SEARCH-PATH
-- why: one kernel function does not pin search_path, so a caller's search_path can redirect it (contract §0, SUT-SEARCH-PATH)
CREATE FUNCTION cpo.pgc_unpinned_helper() RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT 1 $$;
