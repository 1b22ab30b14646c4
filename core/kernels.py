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

import math

import numba as nb
import numpy as np

_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


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
    charges: np.ndarray,
    ncharges: int,
    max_stoich: int,
    out: np.ndarray,
    out_nonempty: np.ndarray,
) -> None:
    """Extend prefix sum-sets by one cation: out[s] = U_{w,c} prev[s - w*c] placed at digit value w.

    ``prev`` holds, per sum, a bitset over ``prev_bits`` prefix tuples (for the empty prefix: one
    tuple, sum 0). ``out`` gets bitsets over ``prev_bits * max_stoich`` tuples.
    """
    nsum = out.shape[0]
    out[:, :] = 0
    out_nonempty[:] = False
    for sp in range(nsum):
        if not prev_nonempty[sp]:
            continue
        for w in range(1, max_stoich + 1):
            off = (w - 1) * prev_bits
            for ci in range(ncharges):
                s = sp + w * charges[ci]
                if s < nsum:
                    _or_bits(out[s], off, prev[sp], prev_bits)
                    out_nonempty[s] = True


@nb.njit(nogil=True, cache=True)
def _suffix_sums(
    elems: np.ndarray,
    start: int,
    neg: np.ndarray,
    nneg: np.ndarray,
    max_stoich: int,
    nsum: int,
    out: np.ndarray,
    tmp: np.ndarray,
) -> int:
    """Achievable anion charge sums for every suffix weight tuple of ``elems[start:]``.

    Row ``r`` of ``out`` (``r = sum((w_j - 1) * M**j)`` over suffix positions ``j``) becomes a
    bitset over sums ``0..nsum-1``. Returns the number of suffix tuples, ``M**len(suffix)``.
    """
    sw = out.shape[1]
    out[0, :] = 0
    out[0, 0] = np.uint64(1)
    count = 1
    for p in range(start, elems.shape[0]):
        e = elems[p]
        tmp[: count * max_stoich, :] = 0
        for w in range(1, max_stoich + 1):
            base = (w - 1) * count
            for r in range(count):
                for ai in range(nneg[e]):
                    shift = w * neg[e, ai]
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
        out[:count, :] = tmp[:count, :]
    # sums at or beyond nsum can never be matched by a prefix: clear the spare bits
    extra = sw * 64 - nsum
    if extra > 0:
        keep = np.uint64((1 << (64 - extra)) - 1)
        for r in range(count):
            out[r, sw - 1] &= keep
    return count


@nb.njit(nogil=True, cache=True)
def _allowed_bits(
    elems: np.ndarray,
    levels: np.ndarray,
    level_nonempty: np.ndarray,
    level_ok: np.ndarray,
    pos_count: np.ndarray,
    neg: np.ndarray,
    nneg: np.ndarray,
    has_zero: np.ndarray,
    en: np.ndarray,
    max_stoich: int,
    flat: np.ndarray,
    suffix: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """Fill ``flat`` with the allowed weight tuples of subset ``elems`` (EN-ordered, all able to pass).

    ``levels[k]`` must hold the prefix sum-sets of ``elems[:k]`` for every ``k`` with ``level_ok[k]``.
    """
    n = elems.shape[0]
    nsum = levels.shape[1]
    flat[:] = 0
    all_zero = True
    for p in range(n):
        if not has_zero[elems[p]]:
            all_zero = False
    if all_zero:  # every element neutral: the all-zero assignment passes for every ratio
        total_bits = max_stoich**n
        for j in range(total_bits >> 6):
            flat[j] = ~np.uint64(0)
        rem = total_bits & 63
        if rem:
            flat[total_bits >> 6] = np.uint64((1 << rem) - 1)
        return
    prefix_bits = 1
    for k in range(1, n):
        prefix_bits *= max_stoich
        if not level_ok[k]:
            break  # a prefix element has no cationic state: longer prefixes fail too
        if pos_count[elems[k - 1]] == 0:
            break
        if not en[elems[k - 1]] < en[elems[k]]:
            continue
        suffix_ok = True
        for p in range(k, n):
            if nneg[elems[p]] == 0:
                suffix_ok = False
        if not suffix_ok:
            continue
        nrows = _suffix_sums(elems, k, neg, nneg, max_stoich, nsum, suffix, tmp)
        lvl = levels[k]
        ne = level_nonempty[k]
        sw = suffix.shape[1]
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
    pos: np.ndarray,
    npos: np.ndarray,
    max_stoich: int,
    levels: np.ndarray,
    level_nonempty: np.ndarray,
    level_ok: np.ndarray,
    start: int,
) -> None:
    """Build prefix levels ``start..upto`` for ``elems`` (levels below ``start`` already built)."""
    bits = max_stoich ** (start - 1) if start > 0 else 1
    for k in range(max(start, 1), upto + 1):
        if k == 1:
            level_ok[0] = True
            levels[0, :, :] = 0
            level_nonempty[0, :] = False
            levels[0, 0, 0] = np.uint64(1)
            level_nonempty[0, 0] = True
            bits = 1
        if not level_ok[k - 1] or npos[elems[k - 1]] == 0:
            level_ok[k] = False
        else:
            _build_prefix_level(
                levels[k - 1],
                level_nonempty[k - 1],
                bits,
                pos[elems[k - 1]],
                npos[elems[k - 1]],
                max_stoich,
                levels[k],
                level_nonempty[k],
            )
            level_ok[k] = True
        bits *= max_stoich


def scratch_shapes(arity: int, max_stoich: int, nsum: int) -> tuple[tuple[int, ...], ...]:
    """Shapes of the scratch arrays one subset evaluation needs (levels, flat, suffix)."""
    level_words = (max_stoich ** (arity - 1) + 63) // 64
    flat_words = (max_stoich**arity + 63) // 64 + 1
    sum_words = (nsum + 63) // 64
    suffix_rows = max_stoich ** (arity - 1)
    return (arity, nsum, level_words), (flat_words,), (suffix_rows, sum_words)


@nb.njit(nogil=True, cache=True, parallel=True)
def count_stems(
    stems: np.ndarray,
    n_active: int,
    arity: int,
    pos: np.ndarray,
    npos: np.ndarray,
    neg: np.ndarray,
    nneg: np.ndarray,
    has_zero: np.ndarray,
    en: np.ndarray,
    max_stoich: int,
    nsum: int,
    coprime: np.ndarray,
    subset_out: np.ndarray,
    subset_offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Allowed counts for every subset that extends each stem by two later elements.

    Parameters
    ----------
    stems : (T, arity - 2) int64, leading element indices (EN order, increasing).
    n_active : number of elements (indices 0..n_active-1) that can pass the filter at all.
    subset_out : per-subset allowed counts are written here (stem ``t``'s subsets, in (a, b)
        lexicographic order, start at ``subset_offsets[t]``); pass an empty array to skip.

    Returns
    -------
    allowed : (T,) allowed reduced compositions per stem.
    per_element : (T, n_active) allowed compositions containing each element, per stem.
    """
    T = stems.shape[0]
    allowed = np.zeros(T, dtype=np.int64)
    per_element = np.zeros((T, n_active), dtype=np.int64)
    level_words = (max_stoich ** (arity - 1) + 63) // 64
    flat_words = (max_stoich**arity + 63) // 64 + 1
    sum_words = (nsum + 63) // 64
    suffix_rows = max_stoich ** (arity - 1)
    stem_len = arity - 2
    for t in nb.prange(T):
        levels = np.zeros((arity, nsum, level_words), dtype=np.uint64)
        level_nonempty = np.zeros((arity, nsum), dtype=np.bool_)
        level_ok = np.zeros(arity, dtype=np.bool_)
        flat = np.zeros(flat_words, dtype=np.uint64)
        suffix = np.zeros((suffix_rows, sum_words), dtype=np.uint64)
        tmp = np.zeros((suffix_rows, sum_words), dtype=np.uint64)
        elems = np.zeros(arity, dtype=np.int64)
        for p in range(stem_len):
            elems[p] = stems[t, p]
        _prepare_levels(elems, stem_len, pos, npos, max_stoich, levels, level_nonempty, level_ok, 1)
        first = stems[t, stem_len - 1] + 1 if stem_len > 0 else 0
        stem_total = 0
        write = subset_out.shape[0] > 0
        slot = subset_offsets[t] if write else 0
        for a in range(first, n_active - 1):
            elems[arity - 2] = a
            _prepare_levels(
                elems, arity - 1, pos, npos, max_stoich, levels, level_nonempty, level_ok, arity - 1
            )
            for b in range(a + 1, n_active):
                elems[arity - 1] = b
                _allowed_bits(
                    elems, levels, level_nonempty, level_ok, npos, neg, nneg, has_zero, en,
                    max_stoich, flat, suffix, tmp,
                )
                c = _count_masked(flat, coprime)
                if write:
                    subset_out[slot] = c
                    slot += 1
                stem_total += c
                per_element[t, a] += c
                per_element[t, b] += c
        allowed[t] = stem_total
        for p in range(stem_len):
            per_element[t, stems[t, p]] += stem_total
    return allowed, per_element


@nb.njit(nogil=True, cache=True)
def stem_subset_counts(
    stem: np.ndarray,
    n_active: int,
    arity: int,
    pos: np.ndarray,
    npos: np.ndarray,
    neg: np.ndarray,
    nneg: np.ndarray,
    has_zero: np.ndarray,
    en: np.ndarray,
    max_stoich: int,
    nsum: int,
    coprime: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) completions of one stem and each subset's allowed count (used for sampling)."""
    stems = stem.reshape(1, -1)
    level_words = (max_stoich ** (arity - 1) + 63) // 64
    flat_words = (max_stoich**arity + 63) // 64 + 1
    sum_words = (nsum + 63) // 64
    suffix_rows = max_stoich ** (arity - 1)
    stem_len = arity - 2
    levels = np.zeros((arity, nsum, level_words), dtype=np.uint64)
    level_nonempty = np.zeros((arity, nsum), dtype=np.bool_)
    level_ok = np.zeros(arity, dtype=np.bool_)
    flat = np.zeros(flat_words, dtype=np.uint64)
    suffix = np.zeros((suffix_rows, sum_words), dtype=np.uint64)
    tmp = np.zeros((suffix_rows, sum_words), dtype=np.uint64)
    elems = np.zeros(arity, dtype=np.int64)
    for p in range(stem_len):
        elems[p] = stems[0, p]
    _prepare_levels(elems, stem_len, pos, npos, max_stoich, levels, level_nonempty, level_ok, 1)
    first = stems[0, stem_len - 1] + 1 if stem_len > 0 else 0
    npairs = 0
    for a in range(first, n_active - 1):
        npairs += n_active - 1 - a
    pairs = np.zeros((npairs, 2), dtype=np.int64)
    counts = np.zeros(npairs, dtype=np.int64)
    i = 0
    for a in range(first, n_active - 1):
        elems[arity - 2] = a
        _prepare_levels(elems, arity - 1, pos, npos, max_stoich, levels, level_nonempty, level_ok, arity - 1)
        for b in range(a + 1, n_active):
            elems[arity - 1] = b
            _allowed_bits(
                elems, levels, level_nonempty, level_ok, npos, neg, nneg, has_zero, en,
                max_stoich, flat, suffix, tmp,
            )
            pairs[i, 0] = a
            pairs[i, 1] = b
            counts[i] = _count_masked(flat, coprime)
            i += 1
    return pairs, counts


@nb.njit(nogil=True, cache=True)
def subset_allowed_flags(
    elems: np.ndarray,
    pos: np.ndarray,
    npos: np.ndarray,
    neg: np.ndarray,
    nneg: np.ndarray,
    has_zero: np.ndarray,
    en: np.ndarray,
    max_stoich: int,
    nsum: int,
) -> np.ndarray:
    """Allowed flag for every weight tuple of one EN-ordered subset, as a bool array of ``M**n``."""
    arity = elems.shape[0]
    level_words = (max_stoich ** (arity - 1) + 63) // 64
    flat_words = (max_stoich**arity + 63) // 64 + 1
    sum_words = (nsum + 63) // 64
    suffix_rows = max_stoich ** (arity - 1)
    levels = np.zeros((arity, nsum, level_words), dtype=np.uint64)
    level_nonempty = np.zeros((arity, nsum), dtype=np.bool_)
    level_ok = np.zeros(arity, dtype=np.bool_)
    flat = np.zeros(flat_words, dtype=np.uint64)
    suffix = np.zeros((suffix_rows, sum_words), dtype=np.uint64)
    tmp = np.zeros((suffix_rows, sum_words), dtype=np.uint64)
    _prepare_levels(elems, arity - 1, pos, npos, max_stoich, levels, level_nonempty, level_ok, 1)
    _allowed_bits(
        elems, levels, level_nonempty, level_ok, npos, neg, nneg, has_zero, en,
        max_stoich, flat, suffix, tmp,
    )
    total = max_stoich**arity
    out = np.zeros(total, dtype=np.bool_)
    for i in range(total):
        out[i] = (flat[i >> 6] >> np.uint64(i & 63)) & np.uint64(1)
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


def sum_bound(arity: int, max_stoich: int, max_charge: int) -> int:
    """Number of distinct charge sums a side of a split can need (0..bound-1)."""
    return (arity - 1) * max_stoich * max(max_charge, 1) + 1


def unique_total(n_elements: int, arity: int, max_stoich: int) -> int:
    """Unique reduced compositions of ``arity`` distinct elements from a pool of ``n_elements``."""
    return math.comb(n_elements, arity) * coprime_count(arity, max_stoich)
