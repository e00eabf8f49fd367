/* numpy's pairwise summation (split.pyx): a sum that matches np.add.reduce's to the last bit. */
#ifndef TP_SUM_H
#define TP_SUM_H

#include <Python.h>
#include <stdint.h>
/* numpy's pairwise summation of a contiguous double array (as np.add.reduce does it). */
static double tp_pairwise_sum(const double *a, Py_ssize_t n) {
    if (n < 8) {
        double res = 0.;
        for (Py_ssize_t i = 0; i < n; i++) res += a[i];
        return res;
    } else if (n <= 128) {
        double r[8], res;
        Py_ssize_t i;
        for (i = 0; i < 8; i++) r[i] = a[i];
        for (i = 8; i < n - (n % 8); i += 8) {
            for (Py_ssize_t j = 0; j < 8; j++) r[j] += a[i + j];
        }
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    } else {
        Py_ssize_t n2 = n / 2;
        n2 -= n2 % 8;
        return tp_pairwise_sum(a, n2) + tp_pairwise_sum(a + n2, n - n2);
    }
}

#endif /* TP_SUM_H */
