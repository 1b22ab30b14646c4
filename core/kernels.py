"""Numba kernels that decide, for every composition over a set of elements, whether SMACT allows it.

Why hand-written: smact tests one composition at a time in Python (hours to days for the quaternary
space); no library counts charge-neutral, electronegativity-ordered compositions in bulk.

The idea. Order a subset's elements by Pauling electronegativity. SMACT's Pauling test says every
cation is strictly less electronegative than every anion, so a passing assignment of oxidation
states puts the cations on a prefix of that order and the anions on the suffix, with a strict
electronegativity step at the boundary (a *split*). For split ``k`` a composition ``w`` is allowed
iff some cation charge sum over the prefix equals some anion charge sum over the suffix. We keep, for
each charge sum ``s``, the set of prefix weight tuples that can reach it (``P[k][s]``, a bitset over
``M**k`` tuples) and OR it into a flat bitset over all ``M**n`` weight tuples for every suffix tuple
that can reach ``s``. Prefix sets are shared by every subset with the same leading elements. The
allowed count is the popcount of that bitset ANDed with the mask of coprime tuples (reduced
compositions). A weight tuple ``(w_0..w_{n-1})`` has bit index ``sum((w_i - 1) * M**i)``.

All kernels take the element tables as arrays (see :func:`charge_tables`) and are pure.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: Parts a block of stems is cut into for the parallel loops over stems (equal subsets each).
PARTS = 256
#: SPREAD8[b] puts bit i of byte b at bit 8*i of a word: lays a set of anion tuples out at stride 8.
SPREAD8 = np.array([sum(1 << (8 * i) for i in range(8) if b >> i & 1) for b in range(256)], dtype=np.uint64)


@nb.njit(nogil=True, cache=True, inline="always")
def _popcount(x: np.uint64) -> int:
    """Bit count of a 64-bit word (SWAR; numba has no portable popcount intrinsic)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@nb.njit(nogil=True, cache=True)
def _or_bits(dst: np.ndarray, bit_offset: int, src: np.ndarray, nbits: int) -> None:
    """OR the first ``nbits`` bits of ``src`` into ``dst`` starting at bit ``bit_offset``.

    ``src`` must be zero beyond ``nbits`` and ``dst`` must hold bits up to ``bit_offset + nbits``.
    """
    nwords = (nbits + 63) >> 6
    w0 = bit_offset >> 6
    sh = bit_offset & 63
    if sh == 0:
        for j in range(nwords):
            dst[w0 + j] |= src[j]
    else:
        ush = np.uint64(sh)
        back = np.uint64(64 - sh)
        for j in range(nwords):
            v = src[j]
            if v:
                dst[w0 + j] |= v << ush
                hi = v >> back
                if hi:  # a non-zero spill always lies within dst (src is zero past nbits)
                    dst[w0 + j + 1] |= hi


@nb.njit(nogil=True, cache=True)
def _build_prefix_level(
    prev: np.ndarray,
    prev_nonempty: np.ndarray,
    prev_bits: int,
    sums: np.ndarray,
    nsums: np.ndarray,
    max_stoich: int,
    out: np.ndarray,
    out_nonempty: np.ndarray,
) -> None:
    """Extend prefix sum-sets by one element: out[s] = U_{w,v} prev[s - v] placed at digit value w.

    ``sums[w - 1, :nsums[w - 1]]`` are the charge sums ``w`` atoms of the element can give (``w*q``
    per state, or every sum of ``w`` states under mixed valence; signed when the Pauling test is
    off, with sums stored from an origin). ``prev`` holds, per sum, a bitset over ``prev_bits``
    prefix tuples; ``out`` gets bitsets over ``prev_bits * max_stoich`` tuples.
    """
    nsum = out.shape[0]
    out[:, :] = 0
    out_nonempty[:] = False
    for sp in range(nsum):
        if not prev_nonempty[sp]:
            continue
        for w in range(1, max_stoich + 1):
            off = (w - 1) * prev_bits
            for ci in range(nsums[w - 1]):
                s = sp + sums[w - 1, ci]
                if 0 <= s < nsum:
                    _or_bits(out[s], off, prev[sp], prev_bits)
                    out_nonempty[s] = True


@nb.njit(nogil=True, cache=True)
def _suffix_sums(
    elems: np.ndarray,
    start: int,
    qsum: np.ndarray,
    nqsum: np.ndarray,
    max_stoich: int,
    nsum: int,
    out: np.ndarray,
    tmp: np.ndarray,
) -> int:
    """Achievable anion charge sums for every suffix weight tuple of ``elems[start:]``.

    Row ``r`` of ``out`` (``r = sum((w_j - 1) * M**j)`` over suffix positions ``j``) becomes a
    bitset over sums ``0..nsum-1``; only its first ``ceil(nsum / 64)`` words are written, so callers
    pass the largest sum the prefix can reach plus one. Returns ``M**len(suffix)``.
    """
    sw = (nsum + 63) >> 6
    out[0, :sw] = 0
    out[0, 0] = np.uint64(1)
    count = 1
    for p in range(start, elems.shape[0]):
        e = elems[p]
        tmp[: count * max_stoich, :sw] = 0
        for w in range(1, max_stoich + 1):
            base = (w - 1) * count
            for r in range(count):
                for ai in range(nqsum[e, w - 1]):
                    shift = qsum[e, w - 1, ai]
                    if shift >= nsum:
                        continue
                    row = tmp[base + r]
                    wsh = shift >> 6
                    bsh = shift & 63
                    for j in range(sw - wsh):
                        v = out[r, j]
                        if v:
                            if bsh == 0:
                                row[j + wsh] |= v
                            else:
                                row[j + wsh] |= v << np.uint64(bsh)
                                if j + wsh + 1 < sw:
                                    row[j + wsh + 1] |= v >> np.uint64(64 - bsh)
        count *= max_stoich
        out[:count, :sw] = tmp[:count, :sw]
    # sums at or beyond nsum can never be matched by a prefix: clear the spare bits
    extra = sw * 64 - nsum
    if extra > 0:
        keep = np.uint64((1 << (64 - extra)) - 1)
        for r in range(count):
            out[r, sw - 1] &= keep
    return count


@nb.njit(nogil=True, cache=True)
def _single_cation_split(
    elems: np.ndarray,
    levels: np.ndarray,
    psum: np.ndarray,
    npsum: np.ndarray,
    qsum: np.ndarray,
    nqsum: np.ndarray,
    qlevels: np.ndarray,
    qnonempty: np.ndarray,
    flat: np.ndarray,
) -> None:
    """Split 1 (one cation, the rest anions) for ``M = 8``, the hot case, with the anion side transposed.

    ``Q[s]``, the anion weight tuples reaching charge sum ``s``, is built like the cation levels; the
    allowed bits are then ``SPREAD8[byte of Q[s]] * P1[s]`` per flat word (carry-free: ``P1[s]`` is an
    8-bit set of cation weights and spread bits sit 8 apart), about 64 word operations per sum.
    """
    n = elems.shape[0]
    for p in range(1, n):
        if nqsum[elems[p], 0] == 0:
            return
    limit = min(levels.shape[1], psum[elems[0], 7, npsum[elems[0], 7] - 1] + 1)
    qlevels[0, :limit, :] = 0
    qnonempty[0, :limit] = False
    qlevels[0, 0, 0] = np.uint64(1)
    qnonempty[0, 0] = True
    bits = 1
    for j in range(1, n):
        e = elems[j]
        _build_prefix_level(
            qlevels[j - 1, :limit],
            qnonempty[j - 1, :limit],
            bits,
            qsum[e],
            nqsum[e],
            8,
            qlevels[j, :limit],
            qnonempty[j, :limit],
        )
        bits *= 8
    q = qlevels[n - 1]
    qne = qnonempty[n - 1]
    p1 = levels[1]
    qwords = (bits + 63) >> 6
    for s in range(limit):
        if not qne[s]:
            continue
        m = p1[s, 0]
        if m == 0:
            continue
        for qi in range(qwords):
            qw = q[s, qi]
            if qw == 0:
                continue
            base = qi * 8
            for bi in range(8):
                byte = (qw >> np.uint64(8 * bi)) & np.uint64(0xFF)
                if byte:
                    flat[base + bi] |= SPREAD8[byte] * m


@nb.njit(nogil=True, cache=True)
def _fill_all(flat: np.ndarray, total_bits: int) -> None:
    """Set the first ``total_bits`` bits of ``flat`` (every weight tuple allowed)."""
    for j in range(total_bits >> 6):
        flat[j] = ~np.uint64(0)
    rem = total_bits & 63
    if rem:
        flat[total_bits >> 6] = np.uint64((1 << rem) - 1)


@nb.njit(nogil=True, cache=True)
def _level_tables(tables: tuple, pauling: bool) -> tuple:
    """(sums, counts) the prefix levels are built from: cationic sums, or signed sums without Pauling."""
    if pauling:
        return tables[0], tables[1]
    return tables[6], tables[7]


@nb.njit(nogil=True, cache=True)
def _allowed_bits(elems: np.ndarray, tables: tuple, max_stoich: int, scratch: tuple, mode: tuple) -> None:
    """Fill the scratch ``flat`` bitset with the allowed weight tuples of subset ``elems``.

    ``elems`` are EN-ordered element indices; ``tables`` is ChargeTables.kernel_tables' tuple and
    ``mode`` the rule's ``(pauling, alloys, origin)``; the scratch ``levels[k]`` must hold the prefix
    sum-sets of ``elems[:k]`` for every ``k`` with ``level_ok[k]`` (see :func:`_prepare_levels`).
    """
    psum, npsum, qsum, nqsum, has_zero, en, ssum, nssum, metal = tables
    pauling, alloys, origin = mode
    levels, level_nonempty, level_ok, flat, suffix, tmp, qlevels, qnonempty = scratch
    n = elems.shape[0]
    nsum = levels.shape[1]
    flat[:] = 0
    all_zero = True
    all_metal = True
    for p in range(n):
        if not has_zero[elems[p]]:
            all_zero = False
        if not metal[elems[p]]:
            all_metal = False
    if all_zero or (alloys and all_metal):  # neutral at every ratio, or an alloy: every tuple passes
        _fill_all(flat, max_stoich**n)
        return
    if not pauling:
        _neutral_bits(elems, ssum, nssum, max_stoich, origin, levels[n - 1], level_nonempty[n - 1], level_ok, flat)
        return
    prefix_bits = 1
    for k in range(1, n):
        prefix_bits *= max_stoich
        if not level_ok[k]:
            break  # a prefix element has no cationic state: longer prefixes fail too
        if k == 1 and max_stoich == 8 and n >= 3:
            if en[elems[0]] < en[elems[1]]:
                _single_cation_split(elems, levels, psum, npsum, qsum, nqsum, qlevels, qnonempty, flat)
            continue
        if npsum[elems[k - 1], 0] == 0:
            break
        if not en[elems[k - 1]] < en[elems[k]]:
            continue
        suffix_ok = True
        for p in range(k, n):
            if nqsum[elems[p], 0] == 0:
                suffix_ok = False
        if not suffix_ok:
            continue
        # anion sums above the prefix's largest cation sum can never balance: clip the sum range
        reach = 0
        for p in range(k):
            e = elems[p]
            reach += psum[e, max_stoich - 1, npsum[e, max_stoich - 1] - 1]
        limit = min(nsum, reach + 1)
        if k == n - 1:  # one anion, the common case: from the level of n - 2 cations
            _last_anion_bits(
                elems, levels[n - 2], level_nonempty[n - 2], psum, npsum, qsum, nqsum, max_stoich, limit, flat
            )
            continue
        lvl = levels[k]
        ne = level_nonempty[k]
        nrows = _suffix_sums(elems, k, qsum, nqsum, max_stoich, limit, suffix, tmp)
        sw = (limit + 63) >> 6
        if prefix_bits == 64:  # one word per suffix row (M = 8, two cations): OR by byte tables
            _or_word_rows(flat, suffix, nrows, sw, lvl, ne)
            continue
        for r in range(nrows):
            off = r * prefix_bits
            for j in range(sw):
                v = suffix[r, j]
                while v:
                    low = v & (~v + np.uint64(1))
                    b = _popcount(low - np.uint64(1))
                    s = j * 64 + b
                    if ne[s]:
                        _or_bits(flat, off, lvl[s], prefix_bits)
                    v ^= low


@nb.njit(nogil=True, cache=True)
def _or_word_rows(flat: np.ndarray, suffix: np.ndarray, nrows: int, sw: int, lvl: np.ndarray, ne: np.ndarray) -> None:
    """``flat[r] |= OR of lvl[s][0]`` over the sums ``s`` of suffix row ``r``, when a prefix is one word.

    Why: rows have dozens of sums each; a table per byte of the sum bitset (the OR of the prefix
    words its bits select, 256 entries) replaces a branch per sum by one lookup per non-zero byte.
    """
    table = np.empty((sw * 8, 256), dtype=np.uint64)
    for j in range(sw * 8):
        table[j, 0] = 0
        for v in range(1, 256):
            low = v & -v
            s = j * 8 + _popcount(np.uint64(low - 1))
            word = lvl[s, 0] if s < ne.shape[0] and ne[s] else np.uint64(0)
            table[j, v] = table[j, v & (v - 1)] | word
    for r in range(nrows):
        acc = np.uint64(0)
        for j in range(sw):
            v = suffix[r, j]
            b = 0
            while v:
                byte = v & np.uint64(0xFF)
                if byte:
                    acc |= table[j * 8 + b, byte]
                v >>= np.uint64(8)
                b += 1
        flat[r] |= acc


@nb.njit(nogil=True, cache=True)
def _last_anion_bits(
    elems: np.ndarray,
    lvl: np.ndarray,
    ne: np.ndarray,
    psum: np.ndarray,
    npsum: np.ndarray,
    qsum: np.ndarray,
    nqsum: np.ndarray,
    max_stoich: int,
    limit: int,
    flat: np.ndarray,
) -> None:
    """Split ``n - 1`` (every element a cation but the last) from the prefix level of ``n - 2`` elements.

    A tuple passes when some charge sum ``t`` of the first ``n - 2`` cations satisfies
    ``t + w'p = wq`` (``p`` a state of element ``n - 2`` at weight ``w'``, ``q`` one of the last at
    weight ``w``): OR ``lvl[wq - w'p]`` at digits ``(w', w)``. Why: building the level of ``n - 1``
    cations only for this split (a bitset per sum over ``M**(n-1)`` tuples) cost ~8x more.
    """
    n = elems.shape[0]
    bits = max_stoich ** (n - 2)
    cat, last = elems[n - 2], elems[n - 1]
    seen = np.full(lvl.shape[0], -1, dtype=np.int64)  # each sum once per digit pair
    for w in range(1, max_stoich + 1):
        for wp in range(1, max_stoich + 1):
            digit = (w - 1) * max_stoich + (wp - 1)
            for ai in range(nqsum[last, w - 1]):
                s = qsum[last, w - 1, ai]
                if s >= limit:
                    continue
                for ci in range(npsum[cat, wp - 1]):
                    t = s - psum[cat, wp - 1, ci]
                    if t >= 0 and ne[t] and seen[t] != digit:
                        seen[t] = digit
                        _or_bits(flat, digit * bits, lvl[t], bits)


@nb.njit(nogil=True, cache=True)
def _neutral_bits(
    elems: np.ndarray,
    ssum: np.ndarray,
    nssum: np.ndarray,
    max_stoich: int,
    origin: int,
    lvl: np.ndarray,
    ne: np.ndarray,
    level_ok: np.ndarray,
    flat: np.ndarray,
) -> None:
    """Charge neutrality alone (no Pauling test): some signed sum of the last element cancels the rest.

    ``lvl``/``ne`` are the signed prefix sum-sets of ``elems[:-1]`` (sum ``v`` stored at ``origin + v``).
    """
    n = elems.shape[0]
    if not level_ok[n - 1]:
        return
    prefix_bits = max_stoich ** (n - 1)
    nsum = lvl.shape[0]
    last = elems[n - 1]
    for w in range(1, max_stoich + 1):
        off = (w - 1) * prefix_bits
        for j in range(nssum[last, w - 1]):
            s = origin - ssum[last, w - 1, j]
            if 0 <= s < nsum and ne[s]:
                _or_bits(flat, off, lvl[s], prefix_bits)


@nb.njit(nogil=True, cache=True)
def _count_masked(flat: np.ndarray, mask: np.ndarray) -> int:
    """Popcount of ``flat & mask``."""
    total = 0
    for j in range(mask.shape[0]):
        total += _popcount(flat[j] & mask[j])
    return total


@nb.njit(nogil=True, cache=True)
def _prepare_levels(
    elems: np.ndarray,
    upto: int,
    sums: np.ndarray,
    nsums: np.ndarray,
    max_stoich: int,
    levels: np.ndarray,
    level_nonempty: np.ndarray,
    level_ok: np.ndarray,
    start: int,
    origin: int,
) -> None:
    """Build prefix levels ``start..upto`` for ``elems`` (levels below ``start`` already built).

    The empty prefix reaches sum 0, stored at index ``origin`` (0 with the Pauling test).
    """
    bits = max_stoich ** (start - 1) if start > 0 else 1
    for k in range(max(start, 1), upto + 1):
        if k == 1:
            level_ok[0] = True
            levels[0, :, :] = 0
            level_nonempty[0, :] = False
            levels[0, origin, 0] = np.uint64(1)
            level_nonempty[0, origin] = True
            bits = 1
        if not level_ok[k - 1] or nsums[elems[k - 1], 0] == 0:
            level_ok[k] = False
        else:
            _build_prefix_level(
                levels[k - 1],
                level_nonempty[k - 1],
                bits,
                sums[elems[k - 1]],
                nsums[elems[k - 1]],
                max_stoich,
                levels[k],
                level_nonempty[k],
            )
            level_ok[k] = True
        bits *= max_stoich


@nb.njit(nogil=True, cache=True)
def _new_scratch(arity: int, max_stoich: int, nsum: int) -> tuple:
    """Working arrays for evaluating subsets of ``arity`` elements (allocate once, reuse per subset).

    Returns (levels, level_nonempty, level_ok, flat, suffix, tmp, qlevels, qnonempty).
    """
    level_words = (max_stoich ** (arity - 1) + 63) // 64
    flat_words = (max_stoich**arity + 63) // 64 + 1
    sum_words = (nsum + 63) // 64
    suffix_rows = max_stoich ** (arity - 1)
    return (
        np.zeros((arity, nsum, level_words), dtype=np.uint64),
        np.zeros((arity, nsum), dtype=np.bool_),
        np.zeros(arity, dtype=np.bool_),
        np.zeros(flat_words, dtype=np.uint64),
        np.zeros((suffix_rows, sum_words), dtype=np.uint64),
        np.zeros((suffix_rows, sum_words), dtype=np.uint64),
        np.zeros((arity, nsum, level_words), dtype=np.uint64),
        np.zeros((arity, nsum), dtype=np.bool_),
    )


@nb.njit(nogil=True, cache=True)
def _evaluate(elems: np.ndarray, start: int, tables: tuple, max_stoich: int, scratch: tuple, mode: tuple) -> None:
    """Allowed bitset of one EN-ordered subset into ``scratch``'s flat; prefix levels from ``start`` rebuilt."""
    sums, nsums = _level_tables(tables, mode[0])
    levels, level_nonempty, level_ok = scratch[0], scratch[1], scratch[2]
    n = elems.shape[0]
    # with the Pauling test the last split reads level n - 2 (see _last_anion_bits): skip building n - 1
    upto = n - 2 if mode[0] and n >= 3 else n - 1
    _prepare_levels(elems, upto, sums, nsums, max_stoich, levels, level_nonempty, level_ok, start, mode[2])
    if upto < n - 1:
        level_ok[n - 1] = level_ok[n - 2] and nsums[elems[n - 2], 0] > 0
    _allowed_bits(elems, tables, max_stoich, scratch, mode)


@nb.njit(nogil=True, cache=True, parallel=True)
def count_signatures(
    reps: np.ndarray,
    cls: np.ndarray,
    group_start: np.ndarray,
    group_order: np.ndarray,
    tables: tuple,
    max_stoich: int,
    nsum: int,
    mode: tuple,
    coprime: np.ndarray,
    out: np.ndarray,
) -> None:
    """Allowed count of each representative subset ``reps[i]`` (EN-ordered rows), written to ``out[i]``.

    Rows are sorted by signature, so neighbours share leading element classes: a group rebuilds
    prefix levels only from the first position whose class changed. Groups run in parallel, in
    ``group_order``: numba hands each thread one contiguous run of iterations, and costly signatures
    cluster in the sorted rows, so the groups are shuffled to give every thread a fair share.
    """
    arity = reps.shape[1]
    for p in nb.prange(group_order.shape[0]):
        g = group_order[p]
        scratch = _new_scratch(arity, max_stoich, nsum)
        prev = np.full(arity, -1, dtype=np.int64)
        for t in range(group_start[g], group_start[g + 1]):
            elems = reps[t].copy()
            d = 0
            while d < arity - 1 and cls[elems[d]] == prev[d]:
                d += 1
            for i in range(arity):
                prev[i] = cls[elems[i]]
            _evaluate(elems, d + 1, tables, max_stoich, scratch, mode)
            out[t] = _count_masked(scratch[3], coprime)


@nb.njit(nogil=True, cache=True, inline="always")
def _sort_range(c: np.ndarray, lo: int, hi: int) -> None:
    """Insertion-sort ``c[lo:hi]`` in place (a handful of class ids)."""
    for i in range(lo + 1, hi):
        v = c[i]
        j = i - 1
        while j >= lo and c[j] > v:
            c[j + 1] = c[j]
            j -= 1
        c[j + 1] = v


@nb.njit(nogil=True, cache=True, parallel=True)
def signature_codes(
    elems: np.ndarray,
    cls: np.ndarray,
    cation_cls: np.ndarray,
    anion_cls: np.ndarray,
    en: np.ndarray,
    npsum: np.ndarray,
    nqsum: np.ndarray,
    base: int,
    pauling: bool,
) -> np.ndarray:
    """One int64 per EN-ordered subset row naming all its allowed count depends on.

    With the Pauling test a passing split puts every position up to the last element without
    anionic states (``l``) among the cations and every position from the first element without
    cationic states (``f``) among the anions: those blocks are named by their elements' cationic
    (``cation_cls``) or anionic (``anion_cls``) tables only, order inside them is irrelevant (ids
    sorted), and only ties at a possible split (``l < i <= f``) matter. Without the test, order is
    irrelevant altogether. The count is invariant under these changes; the bitset is not, so the
    kernels evaluate a real representative subset.
    """
    k, n = elems.shape
    out = np.empty(k, dtype=np.int64)
    for r in nb.prange(k):
        c = np.empty(n, dtype=np.int64)
        tie = np.zeros(n, dtype=np.int64)
        f, last = n, -1
        if pauling:
            for i in range(n):
                if npsum[elems[r, i], 0] == 0:
                    f = i
                    break
            for i in range(n - 1, -1, -1):
                if nqsum[elems[r, i], 0] == 0:
                    last = i
                    break
        lo, hi = max(last + 1, 1), min(f, n - 1)  # the splits that can pass
        if not pauling or lo > hi:  # order is irrelevant (or no split can pass)
            for i in range(n):
                c[i] = cls[elems[r, i]]
            _sort_range(c, 0, n)
            if pauling:
                tie[0] = 1  # position 0 never ties: marks "no split" apart from orders that have one
        else:
            for i in range(n):
                e = elems[r, i]
                c[i] = cation_cls[e] if i <= last else (anion_cls[e] if i >= f else cls[e])
            for i in range(lo, hi + 1):
                if en[elems[r, i]] == en[elems[r, i - 1]]:
                    tie[i] = 1
            _sort_range(c, 0, last + 1)
            _sort_range(c, f, n)
        code = (last + 1) * (n + 1) + f  # where the forced blocks end is part of the signature
        for i in range(n):
            code = code * base + c[i] * 2 + tie[i]
        out[r] = code
    return out


@nb.njit(nogil=True, cache=True, parallel=True)
def expand_stems(stems: np.ndarray, n: int, offsets: np.ndarray, total: int) -> np.ndarray:
    """Every subset ``stem + (a, b)`` with ``last(stem) < a < b < n``, stem by stem in lexicographic order.

    ``offsets[i]`` is where stem ``i``'s subsets start in the (total, arity) output.
    """
    k = stems.shape[1]
    out = np.empty((total, k + 2), dtype=np.int64)
    bounds = _balanced_parts(offsets, PARTS)
    for p in nb.prange(bounds.shape[0] - 1):
        for i in range(bounds[p], bounds[p + 1]):
            first = stems[i, k - 1] + 1 if k else 0
            row = offsets[i]
            for a in range(first, n - 1):
                for b in range(a + 1, n):
                    for j in range(k):
                        out[row, j] = stems[i, j]
                    out[row, k] = a
                    out[row, k + 1] = b
                    row += 1
    return out


@nb.njit(nogil=True, cache=True)
def _balanced_parts(offsets: np.ndarray, parts: int) -> np.ndarray:
    """Stem boundaries cutting the subsets ``offsets[0]..offsets[-1]`` into ``parts`` runs of about
    equal size. Why: a stem's subset count falls with its last element, so equal runs of stems are
    unequal work, and numba gives each thread one contiguous run of iterations."""
    nstems = offsets.shape[0] - 1
    parts = max(1, min(parts, nstems))
    bounds = np.empty(parts + 1, dtype=np.int64)
    for p in range(parts):
        bounds[p] = np.searchsorted(offsets[:nstems], offsets[0] + (offsets[nstems] - offsets[0]) * p // parts)
    bounds[parts] = nstems
    return bounds


@nb.njit(nogil=True, cache=True, parallel=True)
def accumulate_stems(elems: np.ndarray, counts: np.ndarray, offsets: np.ndarray, n: int) -> tuple:
    """Allowed count per stem (subsets ``offsets[i]..offsets[i+1]-1``) and per element, in parallel parts."""
    nstems = offsets.shape[0] - 1
    bounds = _balanced_parts(offsets, PARTS)
    parts = bounds.shape[0] - 1
    per_part = np.zeros((parts, n), dtype=np.int64)
    stem_allowed = np.zeros(nstems, dtype=np.int64)
    for p in nb.prange(parts):
        for i in range(bounds[p], bounds[p + 1]):
            total = 0
            for r in range(offsets[i], offsets[i + 1]):
                c = counts[r]
                total += c
                for j in range(elems.shape[1]):
                    per_part[p, elems[r, j]] += c
            stem_allowed[i] = total
    return stem_allowed, per_part.sum(axis=0)


@nb.njit(nogil=True, cache=True)
def first_occurrences(codes: np.ndarray) -> tuple:
    """(inverse, firsts): which distinct value each code is (numbered in order of first appearance),
    and the row where each distinct value first appears.

    Why by hand: ``np.unique`` sorts every row, and the rows a chunk misses in the signature cache
    (12 million over the quinary census) are mostly repeats of far fewer signatures (2.4 million);
    hashing them is linear, and only the distinct ones are sorted afterwards. Open addressing with
    Fibonacci hashing, the table at most half full.
    """
    n = codes.shape[0]
    bits = 4
    while (1 << bits) < 2 * n:
        bits += 1
    mask = (1 << bits) - 1
    shift = np.uint64(64 - bits)
    table = np.full(1 << bits, -1, dtype=np.int64)  # slot -> distinct value's number
    inverse = np.empty(n, dtype=np.int64)
    firsts = np.empty(n, dtype=np.int64)
    found = 0
    for i in range(n):
        c = codes[i]
        h = np.int64((np.uint64(c) * np.uint64(0x9E3779B97F4A7C15)) >> shift)
        while table[h] >= 0 and codes[firsts[table[h]]] != c:
            h = (h + 1) & mask
        if table[h] < 0:
            table[h] = found
            firsts[found] = i
            found += 1
        inverse[i] = table[h]
    return inverse, firsts[:found].copy()


@nb.njit(nogil=True, cache=True, parallel=True)
def lookup_counts(codes: np.ndarray, keys: np.ndarray, values: np.ndarray, out: np.ndarray) -> int:
    """Fill each still-missing ``out[i]`` (< 0) with the value stored for ``codes[i]`` among sorted
    ``keys``, if there; returns how many stay missing (so several sorted runs can be searched in turn)."""
    missing = 0
    for i in nb.prange(codes.shape[0]):
        if out[i] >= 0:
            continue
        j = np.searchsorted(keys, codes[i])
        if j < keys.shape[0] and keys[j] == codes[i]:
            out[i] = values[j]
        else:
            missing += 1
    return missing


@nb.njit(nogil=True, cache=True)
def subset_allowed_flags(elems: np.ndarray, tables: tuple, max_stoich: int, nsum: int, mode: tuple) -> np.ndarray:
    """Allowed flag for every weight tuple of one EN-ordered subset, as a bool array of ``M**n``."""
    arity = elems.shape[0]
    scratch = _new_scratch(arity, max_stoich, nsum)
    _evaluate(elems, 1, tables, max_stoich, scratch, mode)
    flat = scratch[3]
    total = max_stoich**arity
    out = np.zeros(total, dtype=np.bool_)
    for i in range(total):
        out[i] = (flat[i >> 6] >> np.uint64(i & 63)) & np.uint64(1)
    return out


@nb.njit(nogil=True, cache=True, parallel=True)
def nth_labelled_bits(
    elems: np.ndarray,
    ranks: np.ndarray,
    allowed: bool,
    coprime: np.ndarray,
    tables: tuple,
    max_stoich: int,
    nsum: int,
    mode: tuple,
) -> np.ndarray:
    """For each row ``i``: bit index of the ``ranks[i]``-th coprime tuple of subset ``elems[i]`` with the label.

    The sampler's inner step for a batch of draws: one allowed bitset per subset, then a popcount
    walk over ``coprime & flat`` (or ``coprime & ~flat`` for forbidden). Rows run in parallel in
    groups, each group with one scratch. Each rank must be below that subset's count of the label.
    """
    k, arity = elems.shape
    nwords = (max_stoich**arity + 63) // 64
    out = np.full(k, -1, dtype=np.int64)
    group = 32
    for g in nb.prange((k + group - 1) // group):
        scratch = _new_scratch(arity, max_stoich, nsum)
        flat = scratch[3]
        for i in range(g * group, min(k, (g + 1) * group)):
            _evaluate(elems[i].copy(), 1, tables, max_stoich, scratch, mode)
            r = ranks[i]
            for w in range(nwords):
                word = (flat[w] if allowed else ~flat[w]) & coprime[w]
                c = _popcount(word)
                if r >= c:
                    r -= c
                    continue
                for _ in range(r):  # drop the r lowest set bits; the lowest left is the one
                    word &= word - np.uint64(1)
                out[i] = w * 64 + _popcount((word & (~word + np.uint64(1))) - np.uint64(1))
                break
    return out


@nb.njit(nogil=True, cache=True)
def _reachable(elems: np.ndarray, weights: np.ndarray, sums: np.ndarray, nsums: np.ndarray, size: int, origin: int):
    """Charge sums (stored at ``origin + v``) that elements ``elems`` with ``weights`` can give together."""
    cur = np.zeros(size, dtype=np.bool_)
    cur[origin] = True
    for p in range(elems.shape[0]):
        e, w = elems[p], weights[p]
        nxt = np.zeros(size, dtype=np.bool_)
        for s in range(size):
            if cur[s]:
                for j in range(nsums[e, w - 1]):
                    t = s + sums[e, w - 1, j]
                    if 0 <= t < size:
                        nxt[t] = True
        cur = nxt
    return cur


@nb.njit(nogil=True, cache=True, parallel=True)
def compositions_allowed(elems: np.ndarray, weights: np.ndarray, tables: tuple, mode: tuple) -> np.ndarray:
    """Allowed flag per composition (rows of EN-ordered element indices and their coefficients).

    The same rule as the bitset kernels, decided one composition at a time: an alloy or all-zero
    states pass; otherwise some split (cations before a strict electronegativity step, anions
    after) balances, or, without the Pauling test, some signed sum is zero.
    """
    psum, npsum, qsum, nqsum, has_zero, en, ssum, nssum, metal = tables
    pauling, alloys = mode[0], mode[1]
    k, n = elems.shape
    size = 2 * n * max(psum.max(), qsum.max(), 1) + 1
    half = size // 2
    out = np.zeros(k, dtype=np.bool_)
    for r in nb.prange(k):
        row, w = elems[r], weights[r]
        all_zero, all_metal = True, True
        for p in range(n):
            all_zero &= has_zero[row[p]]
            all_metal &= metal[row[p]]
        if all_zero or (alloys and all_metal):
            out[r] = True
            continue
        if not pauling:
            out[r] = _reachable(row, w, ssum, nssum, size, half)[half]
            continue
        for split in range(1, n):
            if not en[row[split - 1]] < en[row[split]]:
                continue
            ok = True
            for p in range(n):
                if (p < split and npsum[row[p], 0] == 0) or (p >= split and nqsum[row[p], 0] == 0):
                    ok = False
            if not ok:
                continue
            cat = _reachable(row[:split], w[:split], psum, npsum, half + 1, 0)
            an = _reachable(row[split:], w[split:], qsum, nqsum, half + 1, 0)
            if (cat & an).any():
                out[r] = True
                break
    return out


def coprime_mask(arity: int, max_stoich: int) -> np.ndarray:
    """Bitset (uint64 words, one spare) of weight tuples in 1..M whose gcd is 1."""
    grids = np.indices((max_stoich,) * arity).reshape(arity, -1)[::-1] + 1  # row i = w_i, i=0 fastest
    g = np.gcd.reduce(grids, axis=0)
    bits = (g == 1).astype(np.uint8)
    nwords = (bits.size + 63) // 64 + 1
    padded = np.zeros(nwords * 64, dtype=np.uint8)
    padded[: bits.size] = bits
    return np.packbits(padded.reshape(-1, 8)[:, ::-1]).view("<u8").copy()


def weight_tuples(arity: int, max_stoich: int) -> np.ndarray:
    """All weight tuples in bit-index order: row ``i`` is the tuple with bit index ``i``."""
    return (np.indices((max_stoich,) * arity).reshape(arity, -1)[::-1] + 1).T.copy()


def coprime_count(arity: int, max_stoich: int) -> int:
    """Number of coprime ``arity``-tuples over 1..max_stoich (reduced compositions per element set)."""
    # Mobius inversion: sum_d mu(d) * floor(M/d)**n
    total = 0
    for d in range(1, max_stoich + 1):
        total += _mobius(d) * (max_stoich // d) ** arity
    return total


def _mobius(d: int) -> int:
    result = 1
    k = 2
    while k * k <= d:
        if d % k == 0:
            d //= k
            if d % k == 0:
                return 0
            result = -result
        k += 1
    if d > 1:
        result = -result
    return result


def sum_bound(arity: int, max_stoich: int, max_charge: int, pauling: bool = True) -> int:
    """Number of distinct charge sums a prefix can need (0..bound-1); twice as many, signed, without Pauling."""
    one_side = (arity - 1) * max_stoich * max(max_charge, 1)
    return one_side + 1 if pauling else 2 * one_side + 1
