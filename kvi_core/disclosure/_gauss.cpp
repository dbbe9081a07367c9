// Compiled form of kvi_core.disclosure.suppression.gauss_secondary (the secondary suppression by
// fraction-free Gaussian elimination) and of the audit's exact step (intervals._equation_basis and
// _classify). It does exactly what the Python functions do, step by step and with the same pivots,
// hashes and tie-breaks, so both give the same cells; tests compare them on random tables, random
// equation systems and real geography. The Python functions stay the reference and the fallback:
// this module raises OverflowError when a number would leave 64 bits (Python's integers do not
// overflow) and NotImplementedError in cases that the demo tables never reach (a hash h2 of 0, a
// forced column with no row to pivot on, a row twice in one column); the caller then runs Python.
//
// Sparse vectors are (row, value) pairs sorted by row; a dict in Python. Only values matter, never a
// dict's insertion order (every use is order-free or sorted), except the order in which a candidate's
// pivot rows are eliminated, which sets its scale and is kept: the order of the column's rows.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using i64 = int64_t;
using u64 = uint64_t;
constexpr u64 P = (u64(1) << 61) - 1;  // HASH_PRIME

struct Overflow {};
struct Unsupported {
    const char* what;
};
struct Derivable {
    i64 col;
};

inline i64 mul(i64 a, i64 b) {
    i64 r;
    if (__builtin_mul_overflow(a, b, &r)) throw Overflow{};
    return r;
}
inline i64 sub(i64 a, i64 b) {
    i64 r;
    if (__builtin_sub_overflow(a, b, &r)) throw Overflow{};
    return r;
}
inline i64 add(i64 a, i64 b) {
    i64 r;
    if (__builtin_add_overflow(a, b, &r)) throw Overflow{};
    return r;
}
inline i64 floordiv(i64 a, i64 b) {  // Python's //
    i64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}
inline i64 neg(i64 a) { return sub(0, a); }
inline i64 gcd(i64 a, i64 b) {  // non-negative, as math.gcd (|INT64_MIN| has no int64)
    if (a == INT64_MIN || b == INT64_MIN) throw Overflow{};
    return std::gcd(a, b);
}

inline u64 modp(i64 x) {  // x mod P in [0, P), as Python's %
    i64 r = x % i64(P);
    return u64(r < 0 ? r + i64(P) : r);
}
inline u64 mulmod(u64 a, u64 b) {
    unsigned __int128 x = (unsigned __int128)a * b;
    u64 r = u64(x & P) + u64(x >> 61);
    while (r >= P) r -= P;
    return r;
}
inline u64 powmod(u64 b, u64 e) {
    u64 r = 1;
    while (e) {
        if (e & 1) r = mulmod(r, b);
        b = mulmod(b, b);
        e >>= 1;
    }
    return r;
}
inline u64 inverse(u64 x) { return powmod(x, P - 2); }  // pow(x, -1, P): P is prime

struct Vec {
    std::vector<int> row;
    std::vector<i64> val;
    bool empty() const { return row.empty(); }
    i64 at(int r) const {
        auto it = std::lower_bound(row.begin(), row.end(), r);
        if (it == row.end() || *it != r) throw Unsupported{"row not in vector"};
        return val[it - row.begin()];
    }
};

// row -> the vectors holding it (a Python set; here unordered, sorted where Python sorts it)
// Rows from n_real on are values carried along (keys < 0 in Python), which no set tracks.
struct Holders {
    std::vector<std::vector<int>> by_row;
    int n_real;
    explicit Holders(int n, int real = -1) : by_row(n), n_real(real < 0 ? n : real) {}
    void add(int r, int owner) {
        if (r < n_real) by_row[r].push_back(owner);
    }
    void discard(int r, int owner) {
        if (r >= n_real) return;
        auto& h = by_row[r];
        auto it = std::find(h.begin(), h.end(), owner);
        if (it != h.end()) {
            *it = h.back();
            h.pop_back();
        }
    }
    std::vector<int> pop_sorted(int r) {
        std::vector<int> out;
        out.swap(by_row[r]);
        std::sort(out.begin(), out.end());
        return out;
    }
    size_t count(int r) const { return by_row[r].size(); }
};

struct Step {
    i64 a, c, g;
};

// v := (a·v − c·p) / g with v[r] = 0 afterwards (elimination.eliminate)
Step eliminate(Vec& v, const Vec& p, int r, Holders* holders, int owner) {
    i64 pr = p.at(r), vr = v.at(r);
    i64 g0 = gcd(pr, vr);
    i64 a = pr / g0, c = vr / g0;
    if (a < 0) a = neg(a), c = neg(c);
    Vec out;
    out.row.reserve(v.row.size() + p.row.size());
    out.val.reserve(v.row.size() + p.row.size());
    size_t i = 0, j = 0, nv = v.row.size(), np_ = p.row.size();
    while (i < nv || j < np_) {
        if (j == np_ || (i < nv && v.row[i] < p.row[j])) {
            out.row.push_back(v.row[i]);
            out.val.push_back(a == 1 ? v.val[i] : mul(a, v.val[i]));
            ++i;
        } else if (i == nv || p.row[j] < v.row[i]) {
            int k = p.row[j];
            out.row.push_back(k);
            out.val.push_back(neg(mul(c, p.val[j])));
            if (holders) holders->add(k, owner);
            ++j;
        } else {
            int k = v.row[i];
            i64 old = a == 1 ? v.val[i] : mul(a, v.val[i]);
            i64 cx = mul(c, p.val[j]);
            if (old != cx) {
                out.row.push_back(k);
                out.val.push_back(sub(old, cx));
            } else if (holders && k != r) {
                holders->discard(k, owner);
            }
            ++i, ++j;
        }
    }
    i64 g = 1;
    if (a != 1 && !out.empty()) {
        g = 0;
        for (i64 x : out.val) g = gcd(g, x);
        if (g > 1)
            for (i64& x : out.val) x /= g;
    }
    v = std::move(out);
    return {a, c, g};
}

struct Hash {
    u64 h1, h2;
};

struct Problem {
    const i64* col_ptr;
    const i64* col_rows;
    int n_rows;
    const i64* w1;
    const i64* w2;
};

struct Protected {
    const Problem& pb;
    std::unordered_map<int, Vec> vecs;
    std::unordered_map<int, Hash> hash;
    std::unordered_map<int, u64> key;
    Holders holders;
    std::unordered_map<u64, std::vector<int>> buckets;

    explicit Protected(const Problem& p) : pb(p), holders(p.n_rows) {}

    Hash hash_of(const Vec& v) const {
        u64 h1 = 0, h2 = 0;
        for (size_t i = 0; i < v.row.size(); ++i) {
            u64 x = modp(v.val[i]);
            h1 = (h1 + mulmod(x, u64(pb.w1[v.row[i]]))) % P;
            h2 = (h2 + mulmod(x, u64(pb.w2[v.row[i]]))) % P;
        }
        return {h1, h2};
    }
    static u64 key_of(Hash h) {
        if (!h.h2) throw Unsupported{"hash h2 = 0"};
        return mulmod(h.h1, inverse(h.h2));
    }
    void bucket_add(u64 k, int cid) {
        auto& b = buckets[k];
        if (std::find(b.begin(), b.end(), cid) == b.end()) b.push_back(cid);
    }
    void bucket_discard(u64 k, int cid) {
        auto it = buckets.find(k);
        if (it == buckets.end()) return;
        auto& b = it->second;
        auto f = std::find(b.begin(), b.end(), cid);
        if (f != b.end()) {
            *f = b.back();
            b.pop_back();
        }
    }
    void add(int cid, Vec v, Hash h) {
        for (int r : v.row) holders.add(r, cid);
        u64 k = key_of(h);
        vecs[cid] = std::move(v);
        hash[cid] = h;
        key[cid] = k;
        bucket_add(k, cid);
    }
    static bool proportional(const Vec& u, const Vec& v) {
        if (u.row != v.row) return false;
        i64 a = u.val[0], b = v.val[0];
        for (size_t i = 0; i < u.row.size(); ++i)
            if (mul(u.val[i], b) != mul(v.val[i], a)) return false;
        return true;
    }
    int reveals(const Vec& q, Hash h) const {
        auto it = buckets.find(key_of(h));
        if (it == buckets.end()) return -1;
        int best = -1;
        for (int c : it->second)
            if ((best < 0 || c < best) && proportional(q, vecs.at(c))) best = c;
        return best;
    }
    void pivot(const Vec& q, int s, Hash hq) {
        for (int cid : holders.pop_sorted(s)) {
            Vec& v = vecs.at(cid);
            bucket_discard(key.at(cid), cid);
            Step st = eliminate(v, q, s, &holders, cid);
            if (v.empty()) throw Derivable{cid};
            Hash h = hash.at(cid);
            u64 a = modp(st.a), c = modp(st.c);
            h.h1 = (mulmod(a, h.h1) + P - mulmod(c, hq.h1)) % P;
            h.h2 = (mulmod(a, h.h2) + P - mulmod(c, hq.h2)) % P;
            if (st.g != 1) {
                u64 inv = inverse(modp(st.g));
                h.h1 = mulmod(h.h1, inv);
                h.h2 = mulmod(h.h2, inv);
            }
            hash[cid] = h;
            u64 k = key_of(h);
            key[cid] = k;
            bucket_add(k, cid);
        }
    }
};

struct Basis {
    std::vector<Vec> pivots;
    std::vector<char> is_pivot;
    Holders holders;
    // dense scratch for reduce: values by row, and the rows touched
    std::vector<i64> acc;
    std::vector<char> touched;
    std::vector<int> rows;

    // n rows, of which the first n_real can be pivots (the rest are values)
    explicit Basis(int n, int n_real = -1)
        : pivots(n), is_pivot(n, 0), holders(n, n_real), acc(n, 0), touched(n, 0) {}

    // elimination.SpanBasis.reduce of the vector with these rows and values (nullptr: all 1), its
    // pivot rows eliminated in the order given
    Vec reduce(const i64* col, i64 len, const i64* values = nullptr) {
        rows.clear();
        for (i64 i = 0; i < len; ++i) {
            int r = int(col[i]);
            acc[r] = values ? values[i] : 1;
            touched[r] = 1;
            rows.push_back(r);
        }
        for (i64 i = 0; i < len; ++i) {
            int r = int(col[i]);
            if (!is_pivot[r]) continue;
            const Vec& p = pivots[r];
            i64 pr = p.at(r), vr = acc[r];
            if (vr == 0) throw Unsupported{"pivot row cancelled"};  // cannot happen: p holds no other pivot
            i64 g0 = gcd(pr, vr);
            i64 a = pr / g0, c = vr / g0;
            if (a < 0) a = neg(a), c = neg(c);
            if (a != 1)
                for (int k : rows) acc[k] = mul(a, acc[k]);
            for (size_t j = 0; j < p.row.size(); ++j) {
                int k = p.row[j];
                if (!touched[k]) {
                    touched[k] = 1;
                    rows.push_back(k);
                }
                acc[k] = sub(acc[k], mul(c, p.val[j]));
            }
            if (a != 1) {
                i64 g = 0;
                for (int k : rows) g = gcd(g, acc[k]);
                if (g > 1)
                    for (int k : rows) acc[k] /= g;
            }
        }
        std::sort(rows.begin(), rows.end());
        Vec out;
        for (int k : rows) {
            if (acc[k] != 0) {
                out.row.push_back(k);
                out.val.push_back(acc[k]);
            }
            acc[k] = 0;
            touched[k] = 0;
        }
        return out;
    }

    void add(Vec q, int s) {
        for (int r2 : holders.pop_sorted(s)) eliminate(pivots[r2], q, s, &holders, r2);
        for (int k : q.row)
            if (k != s) holders.add(k, s);  // not values: Holders ignores them
        pivots[s] = std::move(q);
        is_pivot[s] = 1;
    }
};

// suppression._choose_pivot: not at the bound, coefficient ±1 first, fewest holders, highest row
int choose_pivot(const Vec& q, const std::vector<char>& at_bound, const Holders& h1, const Holders& h2) {
    int best = -1;
    bool b_unit = false;
    size_t b_held = 0;
    for (size_t i = 0; i < q.row.size(); ++i) {
        int r = q.row[i];
        if (at_bound[r]) continue;
        bool not_unit = q.val[i] != 1 && q.val[i] != -1;
        size_t held = h1.count(r) + h2.count(r);
        // key (not_unit, held, -r), smallest wins
        if (best < 0 || not_unit < b_unit || (not_unit == b_unit && (held < b_held || (held == b_held && r > best)))) {
            best = r;
            b_unit = not_unit;
            b_held = held;
        }
    }
    return best;
}

// suppression._narrows_hidden: hidden rows left less than their room above the lower bound
std::vector<int> narrows(const Vec& q, const i64* truth, const i64* lower, const std::vector<char>& hidden_row,
                         const i64* room) {
    std::vector<int> out;
    i64 sign = q.val[0] > 0 ? 1 : -1;
    i64 total = 0, bound = 0;
    for (size_t i = 0; i < q.row.size(); ++i) {
        i64 x = mul(q.val[i], sign);
        if (x < 0) return out;
        total = add(total, mul(x, truth[q.row[i]]));
        bound = add(bound, mul(x, lower[q.row[i]]));
    }
    i64 slack = sub(total, bound);
    for (size_t i = 0; i < q.row.size(); ++i) {
        int r = q.row[i];
        if (hidden_row[r] && floordiv(slack, mul(q.val[i], sign)) < room[r]) out.push_back(r);
    }
    return out;
}

// No row twice in one CSR column (a Python dict would hold it once).
bool distinct(const i64* ptr, const i64* idx, Py_ssize_t n, i64 n_rows) {
    std::vector<Py_ssize_t> seen(size_t(n_rows), -1);
    for (Py_ssize_t c = 0; c < n; ++c)
        for (i64 i = ptr[c]; i < ptr[c + 1]; ++i) {
            if (seen[size_t(idx[i])] == c) return false;
            seen[size_t(idx[i])] = c;
        }
    return true;
}

struct Buffer {
    Py_buffer b{};
    bool held = false;
    ~Buffer() {
        if (held) PyBuffer_Release(&b);
    }
};

// The C++ exception being handled as the Python one (always nullptr, to return): called in a catch (...).
PyObject* raise_current(const char* fn) {
    try {
        throw;
    } catch (Overflow&) {
        PyErr_Format(PyExc_OverflowError, "%s: a coefficient left 64 bits", fn);
    } catch (Unsupported& u) {
        PyErr_Format(PyExc_NotImplementedError, "%s: %s", fn, u.what);
    } catch (Derivable& d) {
        PyErr_Format(PyExc_AssertionError, "protected column %lld became derivable", (long long)d.col);
    } catch (std::bad_alloc&) {
        PyErr_NoMemory();
    } catch (std::exception& e) {
        PyErr_Format(PyExc_RuntimeError, "_gauss: %s", e.what());
    } catch (...) {
        PyErr_SetString(PyExc_RuntimeError, "_gauss: an unknown C++ exception");
    }
    return nullptr;
}

// An array of integers (numpy int64, or uint8 for flags), C-contiguous, of this item size.
bool get(PyObject* obj, Buffer& buf, Py_ssize_t itemsize, const char* name) {
    if (PyObject_GetBuffer(obj, &buf.b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return false;
    buf.held = true;
    const char* f = buf.b.format ? buf.b.format : "B";
    if (*f == '<' || *f == '=' || *f == '@' || *f == '!' || *f == '>') ++f;
    bool integer = f[0] && !f[1] && std::strchr("bBhHiIlLqQ?", f[0]);
    if (!integer || buf.b.itemsize != itemsize || buf.b.len % itemsize) {
        PyErr_Format(PyExc_ValueError, "_gauss: %s must be integers of %zd bytes (has the wrong item size or type)", name,
                     itemsize);
        return false;
    }
    return true;
}

PyObject* gauss_secondary(PyObject*, PyObject* args) {
    PyObject *o_ptr, *o_rows, *o_order, *o_watch, *o_hidden, *o_truth, *o_lower, *o_room, *o_forced, *o_w1, *o_w2;
    int n_rows;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOi", &o_ptr, &o_rows, &o_order, &o_watch, &o_hidden, &o_truth, &o_lower,
                          &o_room, &o_forced, &o_w1, &o_w2, &n_rows))
        return nullptr;
    Buffer ptr, rows, order, watch, hidden, truth, lower, room, forced, w1, w2;
    if (!get(o_ptr, ptr, 8, "col_ptr") || !get(o_rows, rows, 8, "col_rows") || !get(o_order, order, 8, "order") ||
        !get(o_watch, watch, 8, "watch") || !get(o_hidden, hidden, 1, "hidden") || !get(o_truth, truth, 8, "truth") ||
        !get(o_lower, lower, 8, "lower") || !get(o_room, room, 8, "room") || !get(o_forced, forced, 1, "forced") ||
        !get(o_w1, w1, 8, "w1") || !get(o_w2, w2, 8, "w2"))
        return nullptr;
    const i64* col_ptr = (const i64*)ptr.b.buf;
    const i64* col_rows = (const i64*)rows.b.buf;
    Py_ssize_t n_cols = ptr.b.len / 8 - 1;
    const char* hid = (const char*)hidden.b.buf;
    const char* frc = (const char*)forced.b.buf;
    if (n_rows < 0 || n_cols < 0 || hidden.b.len != n_cols || forced.b.len != n_cols || truth.b.len != 8 * Py_ssize_t(n_rows) ||
        lower.b.len != 8 * Py_ssize_t(n_rows) || room.b.len != 8 * Py_ssize_t(n_rows) ||
        w1.b.len != 8 * Py_ssize_t(n_rows) || w2.b.len != 8 * Py_ssize_t(n_rows)) {
        PyErr_SetString(PyExc_ValueError, "gauss_secondary: array lengths do not match");
        return nullptr;
    }
    for (Py_ssize_t i = 0; i < rows.b.len / 8; ++i)
        if (col_rows[i] < 0 || col_rows[i] >= n_rows) {
            PyErr_SetString(PyExc_ValueError, "gauss_secondary: a row outside the table");
            return nullptr;
        }
    bool ok = col_ptr[0] == 0 && col_ptr[n_cols] == rows.b.len / 8;
    for (Py_ssize_t c = 0; ok && c < n_cols; ++c) ok = col_ptr[c] <= col_ptr[c + 1];
    if (ok && !distinct(col_ptr, col_rows, n_cols, n_rows)) {
        PyErr_SetString(PyExc_NotImplementedError, "gauss_secondary: a row twice in one column");
        return nullptr;
    }
    for (const Buffer* b : {&order, &watch})
        for (Py_ssize_t i = 0; ok && i < b->b.len / 8; ++i) {
            i64 c = ((const i64*)b->b.buf)[i];
            ok = c >= 0 && c < n_cols;
        }
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "gauss_secondary: column pointers or column numbers out of order");
        return nullptr;
    }
    const i64* truth_v = (const i64*)truth.b.buf;
    const i64* lower_v = (const i64*)lower.b.buf;
    const i64* room_v = (const i64*)room.b.buf;
    Problem pb{col_ptr, col_rows, n_rows, (const i64*)w1.b.buf, (const i64*)w2.b.buf};

    std::vector<std::pair<i64, std::vector<i64>>> secondary;  // in the order found, as the Python dict
    try {
        {
            Basis basis(n_rows);
            Protected prot(pb);
            auto column = [&](i64 c) {
                Vec v;
                for (i64 i = col_ptr[c]; i < col_ptr[c + 1]; ++i) {
                    v.row.push_back(int(col_rows[i]));
                    v.val.push_back(1);
                }
                std::sort(v.row.begin(), v.row.end());
                return v;
            };
            const i64* wv = (const i64*)watch.b.buf;
            for (Py_ssize_t i = 0; i < watch.b.len / 8; ++i) {
                if (prot.vecs.count(int(wv[i]))) continue;  // twice in watch: Python adds it again, unchanged
                Vec v = column(wv[i]);
                Hash h = prot.hash_of(v);
                prot.add(int(wv[i]), std::move(v), h);
            }
            std::vector<char> hidden_row(n_rows, 0);
            std::vector<i64> row_col(n_rows, -1);
            for (Py_ssize_t c = 0; c < n_cols; ++c)
                if (col_ptr[c + 1] - col_ptr[c] == 1) {
                    int r = int(col_rows[col_ptr[c]]);
                    row_col[r] = c;
                    hidden_row[r] = hid[c] != 0;
                }
            std::vector<char> at_bound(n_rows);
            for (int r = 0; r < n_rows; ++r)
                at_bound[r] = (hidden_row[r] || lower_v[r] == 0) && truth_v[r] == lower_v[r];

            const i64* ov = (const i64*)order.b.buf;
            for (Py_ssize_t i = 0; i < order.b.len / 8; ++i) {
                i64 c = ov[i];
                Vec q = basis.reduce(col_rows + col_ptr[c], col_ptr[c + 1] - col_ptr[c]);
                if (q.empty()) continue;
                Hash h = prot.hash_of(q);
                if (!frc[c]) {
                    bool hide = false;
                    std::vector<i64> what;
                    int revealed = prot.reveals(q, h);
                    if (revealed >= 0) {
                        hide = true;
                        what.push_back(revealed);
                    } else {
                        bool all_bound = true;
                        for (int r : q.row)
                            if (!at_bound[r]) {
                                all_bound = false;
                                break;
                            }
                        std::vector<int> narrowed;
                        if (all_bound) {
                            for (int r : q.row)
                                if (hidden_row[r]) narrowed.push_back(r);
                        } else {
                            narrowed = narrows(q, truth_v, lower_v, hidden_row, room_v);
                        }
                        if (all_bound || !narrowed.empty()) {
                            hide = true;
                            for (int r : narrowed)
                                if (row_col[r] >= 0) what.push_back(row_col[r]);
                            std::sort(what.begin(), what.end());
                            prot.add(int(c), q, h);
                        }
                    }
                    if (hide) {
                        secondary.emplace_back(c, std::move(what));
                        if (col_ptr[c + 1] - col_ptr[c] == 1) hidden_row[col_rows[col_ptr[c]]] = 1;
                        continue;
                    }
                }
                int s = choose_pivot(q, at_bound, prot.holders, basis.holders);
                if (s < 0) throw Unsupported{"no row to pivot on"};
                prot.pivot(q, s, h);
                basis.add(std::move(q), s);
            }
        }
    } catch (...) {
        return raise_current("gauss_secondary");
    }
    PyObject* out = PyDict_New();
    if (!out) return nullptr;
    for (auto& [c, what] : secondary) {
        PyObject* key = PyLong_FromLongLong(c);
        PyObject* tup = PyTuple_New(Py_ssize_t(what.size()));
        if (!key || !tup) {
            Py_XDECREF(key);
            Py_XDECREF(tup);
            Py_DECREF(out);
            return nullptr;
        }
        for (size_t i = 0; i < what.size(); ++i) {
            PyObject* item = PyLong_FromLongLong(what[i]);
            if (!item) {
                Py_DECREF(key);
                Py_DECREF(tup);
                Py_DECREF(out);
                return nullptr;
            }
            PyTuple_SET_ITEM(tup, Py_ssize_t(i), item);
        }
        int rc = PyDict_SetItem(out, key, tup);
        Py_DECREF(key);
        Py_DECREF(tup);
        if (rc < 0) {
            Py_DECREF(out);
            return nullptr;
        }
    }
    return out;
}

// intervals._equation_basis and the reductions of intervals._classify: the published equations
// (variables, then the right-hand side as value n_vars) in the order given, each reduced against the
// ones before it and kept when a variable is left (its pivot: coefficient ±1 first, then the fewest
// basis vectors holding it, the fewest equations, the lowest variable); then every target (its
// variables, and a marker as value n_vars + 1) reduced against them.
// Returns (independent: bytes, one per equation; the first equation that contradicts the others, or
// -1; the reduced targets as CSR: ptr, rows, values, rows n_vars and n_vars + 1 being the values).
PyObject* equation_basis(PyObject*, PyObject* args) {
    PyObject *o_ptr, *o_vars, *o_rhs, *o_count, *o_tptr, *o_tvars;
    int n_vars;
    if (!PyArg_ParseTuple(args, "OOOOiOO", &o_ptr, &o_vars, &o_rhs, &o_count, &n_vars, &o_tptr, &o_tvars))
        return nullptr;
    Buffer ptr, vars, rhs, count, tptr, tvars;
    if (!get(o_ptr, ptr, 8, "eq_ptr") || !get(o_vars, vars, 8, "eq_vars") || !get(o_rhs, rhs, 8, "eq_rhs") ||
        !get(o_count, count, 8, "count") || !get(o_tptr, tptr, 8, "target_ptr") || !get(o_tvars, tvars, 8, "target_vars"))
        return nullptr;
    const i64* ep = (const i64*)ptr.b.buf;
    const i64* ev = (const i64*)vars.b.buf;
    const i64* er = (const i64*)rhs.b.buf;
    const i64* cnt = (const i64*)count.b.buf;
    const i64* tp = (const i64*)tptr.b.buf;
    const i64* tv = (const i64*)tvars.b.buf;
    Py_ssize_t n_eq = ptr.b.len / 8 - 1, n_tg = tptr.b.len / 8 - 1;
    bool ok = n_vars >= 0 && n_eq >= 0 && n_tg >= 0 && rhs.b.len == 8 * n_eq && count.b.len == 8 * Py_ssize_t(n_vars) &&
              ep[0] == 0 && ep[n_eq] == vars.b.len / 8 && tp[0] == 0 && tp[n_tg] == tvars.b.len / 8;
    for (Py_ssize_t i = 0; ok && i < vars.b.len / 8; ++i) ok = ev[i] >= 0 && ev[i] < n_vars;
    for (Py_ssize_t i = 0; ok && i < tvars.b.len / 8; ++i) ok = tv[i] >= 0 && tv[i] < n_vars;
    for (Py_ssize_t i = 0; ok && i < n_eq; ++i) ok = ep[i] <= ep[i + 1];
    for (Py_ssize_t i = 0; ok && i < n_tg; ++i) ok = tp[i] <= tp[i + 1];
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "equation_basis: inconsistent arrays");
        return nullptr;
    }
    const int RHS = n_vars, MARK = n_vars + 1;
    std::string independent;
    i64 contradiction = -1;
    std::vector<i64> out_ptr, out_rows, out_vals;
    try {
        if (!distinct(ep, ev, n_eq, n_vars) || !distinct(tp, tv, n_tg, n_vars)) throw Unsupported{"a variable twice in one row"};
        independent.assign(size_t(n_eq), '\0');
        out_ptr.push_back(0);
        Basis basis(n_vars + 2, n_vars);
        std::vector<i64> idx, val;
        for (Py_ssize_t e = 0; e < n_eq; ++e) {
            idx.assign(ev + ep[e], ev + ep[e + 1]);
            val.assign(idx.size(), 1);
            idx.push_back(RHS);
            val.push_back(er[e]);
            Vec v = basis.reduce(idx.data(), i64(idx.size()), val.data());
            int best = -1;
            bool b_unit = false;
            size_t b_held = 0;
            i64 b_count = 0;
            for (size_t i = 0; i < v.row.size(); ++i) {
                int r = v.row[i];
                if (r >= n_vars) continue;
                bool not_unit = v.val[i] != 1 && v.val[i] != -1;
                size_t held = basis.holders.count(r);
                // key (not_unit, held, count, r), smallest wins
                if (best < 0 || not_unit < b_unit ||
                    (not_unit == b_unit &&
                     (held < b_held || (held == b_held && (cnt[r] < b_count || (cnt[r] == b_count && r < best)))))) {
                    best = r;
                    b_unit = not_unit;
                    b_held = held;
                    b_count = cnt[r];
                }
            }
            if (best >= 0) {
                basis.add(std::move(v), best);
                independent[size_t(e)] = 1;
            } else if (!v.empty() && contradiction < 0) {
                contradiction = e;
            }
        }
        for (Py_ssize_t t = 0; t < n_tg; ++t) {
            idx.assign(tv + tp[t], tv + tp[t + 1]);
            idx.push_back(MARK);
            Vec v = basis.reduce(idx.data(), i64(idx.size()));
            out_rows.insert(out_rows.end(), v.row.begin(), v.row.end());
            out_vals.insert(out_vals.end(), v.val.begin(), v.val.end());
            out_ptr.push_back(i64(out_rows.size()));
        }
    } catch (...) {
        return raise_current("equation_basis");
    }
    auto bytes = [](const std::vector<i64>& x) {
        return PyBytes_FromStringAndSize((const char*)x.data(), Py_ssize_t(x.size() * sizeof(i64)));
    };
    return Py_BuildValue("(y#LNNN)", independent.data(), Py_ssize_t(independent.size()), (long long)contradiction,
                         bytes(out_ptr), bytes(out_rows), bytes(out_vals));
}

PyMethodDef methods[] = {
    {"gauss_secondary", gauss_secondary, METH_VARARGS,
     "gauss_secondary(col_ptr, col_rows, order, watch, hidden, truth, lower, room, forced, w1, w2, n_rows) -> dict"},
    {"equation_basis", equation_basis, METH_VARARGS,
     "equation_basis(eq_ptr, eq_vars, eq_rhs, count, n_vars, target_ptr, target_vars) -> (independent, "
     "contradiction, ptr, rows, values)"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT, "_gauss", "Compiled secondary suppression (see gauss_secondary).", -1,
                      methods};

}  // namespace

PyMODINIT_FUNC PyInit__gauss(void) { return PyModule_Create(&module); }
