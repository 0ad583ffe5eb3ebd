-- ledger_book_one: one transfer booked in one round trip (PostgreSQL only).
--
-- The engine (custodesk.ledger.engine) stays the authority on the rules: this function
-- is its fast path for the common case, one transfer that will be accepted.  It takes
-- the same locks in the same order (the pending transfer, then the accounts in id
-- order; hot accounts FOR SHARE with their counters in a shard row), applies the same
-- checks, and books.  Whenever the answer is not a plain "booked" it changes nothing and
-- says so ('known': the idempotency key is already recorded; 'refused': some rule says
-- no), and the engine runs its general path, which records refusals and answers
-- replays.  So the function may be stricter than the engine, never looser
-- (tests/services/test_fast_path.py compares the two).
--
-- THIS FILE IS THE FUNCTION.  A migration installs it whole (CREATE OR REPLACE, read
-- from this file).  To change the function: edit this file AND add a ledger migration
-- that installs it again (copy 0006_book_one_from_sql_file.py, with the new
-- BOOK_ONE_SHA256).  A test fails while the file's digest is not the one the latest
-- installing migration names, and another compares the installed body with this file.
CREATE OR REPLACE FUNCTION ledger_book_one(
    p_public_id uuid, p_key text, p_debit bigint, p_credit bigint, p_amount bigint,
    p_currency text, p_flag text, p_pending bigint, p_timeout_s integer, p_kind text,
    p_business_date date, p_group text, p_metadata jsonb, p_requested_by bigint,
    p_digest text, p_now timestamptz, p_slot smallint, p_hot bigint[],
    p_debit_code text, p_credit_code text,
    OUT r_status text, OUT r_id bigint, OUT r_debit_code text, OUT r_credit_code text,
    OUT r_amount bigint, OUT r_currency text, OUT r_pending_public_id uuid,
    OUT r_timeout_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_debit bigint := p_debit;
    v_credit bigint := p_credit;
    v_currency text := p_currency;
    v_amount bigint := p_amount;
    v_released bigint := 0;
    v_pending_state text := '';
    v_pending_id bigint;
    v_timeout_at timestamptz;
    v_lo bigint;
    v_hi bigint;
    a_lo ledger_account;
    a_hi ledger_account;
    d ledger_account;
    c ledger_account;
    p record;
    d_dp bigint := 0; d_dpe bigint := 0; c_cp bigint := 0; c_cpe bigint := 0;
BEGIN
    r_status := 'refused';
    IF p_key IS NOT NULL AND (
        EXISTS (SELECT 1 FROM ledger_transfer WHERE idempotency_key = p_key)
        OR EXISTS (SELECT 1 FROM ledger_refused_transfer WHERE idempotency_key = p_key)
    ) THEN
        r_status := 'known';
        RETURN;
    END IF;

    IF p_flag IN ('post_pending', 'void_pending') THEN
        SELECT t.id, t.debit_account_id, t.credit_account_id, t.amount, t.currency,
               t.pending_state, t.timeout_at, t.public_id
          INTO p FROM ledger_transfer t
         WHERE t.id = p_pending AND t.flag = 'pending' FOR UPDATE;
        IF NOT FOUND OR p.pending_state <> 'pending' THEN
            RETURN;
        END IF;
        IF p_flag = 'post_pending' AND p.timeout_at IS NOT NULL AND p.timeout_at <= p_now THEN
            RETURN;
        END IF;
        v_debit := p.debit_account_id;
        v_credit := p.credit_account_id;
        v_currency := p.currency;
        v_released := p.amount;
        IF p_flag = 'void_pending' THEN
            v_amount := p.amount;
        ELSE
            v_amount := coalesce(p_amount, p.amount);
            IF v_amount > p.amount THEN
                RETURN;
            END IF;
        END IF;
        r_pending_public_id := p.public_id;
        v_pending_id := p.id;
    ELSIF p_flag NOT IN ('posted', 'pending') THEN
        RETURN;
    ELSIF v_debit IS NULL AND v_credit IS NULL THEN
        -- the caller (the API) knows the accounts by code
        SELECT id INTO v_debit FROM ledger_account WHERE code = p_debit_code;
        SELECT id INTO v_credit FROM ledger_account WHERE code = p_credit_code;
    END IF;
    IF v_debit IS NULL OR v_credit IS NULL OR v_debit = v_credit
       OR v_amount IS NULL OR v_amount <= 0 THEN
        RETURN;
    END IF;

    -- lock both accounts in id order.  Hot accounts (p_hot: the engine's cached id set)
    -- FOR SHARE: their counters live in shard rows.  Where the counters go is decided by
    -- the row's own hot column, read under the lock, so a stale p_hot only changes the
    -- lock mode of a newly opened hot account.
    v_lo := least(v_debit, v_credit);
    v_hi := greatest(v_debit, v_credit);
    IF v_lo = ANY(p_hot) THEN
        SELECT * INTO a_lo FROM ledger_account WHERE id = v_lo FOR SHARE;
    ELSE
        SELECT * INTO a_lo FROM ledger_account WHERE id = v_lo FOR UPDATE;
    END IF;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_hi = ANY(p_hot) THEN
        SELECT * INTO a_hi FROM ledger_account WHERE id = v_hi FOR SHARE;
    ELSE
        SELECT * INTO a_hi FROM ledger_account WHERE id = v_hi FOR UPDATE;
    END IF;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_debit = v_lo THEN d := a_lo; c := a_hi; ELSE d := a_hi; c := a_lo; END IF;

    -- look again now that the accounts are locked: a copy of this request may have been
    -- booked or refused meanwhile (it held these locks until it committed, so it is
    -- visible now); a refusal leaves no row the unique index could catch
    IF p_key IS NOT NULL AND (
        EXISTS (SELECT 1 FROM ledger_transfer WHERE idempotency_key = p_key)
        OR EXISTS (SELECT 1 FROM ledger_refused_transfer WHERE idempotency_key = p_key)
    ) THEN
        r_status := 'known';
        RETURN;
    END IF;

    IF d.currency <> v_currency OR c.currency <> v_currency THEN
        RETURN;
    END IF;
    IF (d.status <> 'open' OR c.status <> 'open') AND p_flag <> 'void_pending' THEN
        RETURN;
    END IF;
    IF p_flag = 'post_pending' AND (d.debit_blocks > 0 OR c.credit_blocks > 0) THEN
        RETURN;
    END IF;
    IF p_flag IN ('posted', 'pending') THEN
        IF d.debit_blocks > 0 OR c.credit_blocks > 0 THEN
            RETURN;
        END IF;
        -- the counters (and the sums the balance constraints add up) stay within BIGINT
        IF d.debits_posted::numeric + d.debits_pending + d.frozen_amount + v_amount > 9223372036854775807
           OR c.credits_posted::numeric + c.credits_pending + v_amount > 9223372036854775807 THEN
            RETURN;
        END IF;
    END IF;
    IF p_flag <> 'void_pending' THEN
        IF d.debits_must_not_exceed_credits AND d.debits_posted::numeric + d.debits_pending
               - v_released + d.frozen_amount + v_amount > d.credits_posted THEN
            RETURN;
        END IF;
        IF c.credits_must_not_exceed_debits AND c.credits_posted::numeric + c.credits_pending
               - v_released + v_amount > c.debits_posted THEN
            RETURN;
        END IF;
    END IF;

    IF p_flag = 'posted' THEN
        d_dp := v_amount; c_cp := v_amount;
    ELSIF p_flag = 'pending' THEN
        d_dpe := v_amount; c_cpe := v_amount;
        v_pending_state := 'pending';
        IF p_timeout_s IS NOT NULL THEN
            v_timeout_at := p_now + make_interval(secs => p_timeout_s);
        END IF;
    ELSIF p_flag = 'post_pending' THEN
        d_dpe := -v_released; c_cpe := -v_released; d_dp := v_amount; c_cp := v_amount;
    ELSE
        d_dpe := -v_released; c_cpe := -v_released;
    END IF;

    IF d.hot THEN
        UPDATE ledger_account_shard SET debits_posted = debits_posted + d_dp,
               debits_pending = debits_pending + d_dpe
         WHERE account_id = d.id AND slot = p_slot;
    ELSE
        UPDATE ledger_account SET debits_posted = debits_posted + d_dp,
               debits_pending = debits_pending + d_dpe
         WHERE id = d.id;
    END IF;
    IF c.hot THEN
        UPDATE ledger_account_shard SET credits_posted = credits_posted + c_cp,
               credits_pending = credits_pending + c_cpe
         WHERE account_id = c.id AND slot = p_slot;
    ELSE
        UPDATE ledger_account SET credits_posted = credits_posted + c_cp,
               credits_pending = credits_pending + c_cpe
         WHERE id = c.id;
    END IF;
    IF p_flag IN ('post_pending', 'void_pending') THEN
        UPDATE ledger_transfer
           SET pending_state = CASE WHEN p_flag = 'post_pending' THEN 'posted' ELSE 'voided' END
         WHERE id = v_pending_id;
    END IF;

    INSERT INTO ledger_transfer (
        public_id, idempotency_key, debit_account_id, credit_account_id, amount, currency,
        flag, pending_id, pending_state, timeout_at, kind, business_date, group_id, metadata,
        requested_by, request_digest, created_at)
    VALUES (
        p_public_id, p_key, d.id, c.id, v_amount, v_currency, p_flag,
        v_pending_id,
        v_pending_state, v_timeout_at, p_kind, p_business_date, p_group, p_metadata,
        p_requested_by, p_digest, p_now)
    RETURNING id INTO r_id;

    r_status := 'ok';
    r_debit_code := d.code;
    r_credit_code := c.code;
    r_amount := v_amount;
    r_currency := v_currency;
    r_timeout_at := v_timeout_at;
END;
$$;
