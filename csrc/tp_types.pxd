# The fused types of the kernels, one compiled loop per member. Modules that take the same dtypes
# share a set; a kernel's door (tabprep.kernels._<name>) accepts exactly its set's dtypes, so a
# set changes with the doors that use it. Member order is the order of the specializations
# (__signatures__); dispatch matches dtypes exactly, whatever the order.

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

ctypedef fused real_t:
    float
    double

ctypedef fused int32_64_t:
    int32_t
    int64_t

ctypedef fused integer_t:
    int8_t
    int16_t
    int32_t
    int64_t
    uint8_t
    uint16_t
    uint32_t
    uint64_t

ctypedef fused numeric_t:
    int8_t
    int16_t
    int32_t
    int64_t
    uint8_t
    uint16_t
    uint32_t
    uint64_t
    float
    double

# Sets of one module each.

# split labels: no uint64, as codes are value - lo in int64
ctypedef fused label_t:
    int8_t
    int16_t
    int32_t
    int64_t
    uint8_t
    uint16_t
    uint32_t

# target y: the door views booleans as int8 and widens other integers to int64, floats to float64
ctypedef fused target_y_t:
    int8_t
    int32_t
    int64_t
    float
    double

# bin_codes output (bin numbers or midpoints)
ctypedef fused bin_out_t:
    double
    float
    int64_t
    int32_t
    int16_t
    int8_t
    uint8_t
