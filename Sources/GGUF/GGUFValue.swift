/// The value types GGUF metadata can hold, with their on-disk type codes.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7, string = 8
    case array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Bytes one element of this type takes at least on disk: used to bound array counts by the bytes remaining
    /// before anything is allocated (a string is at least its 8-byte length, an array its 12-byte header).
    var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12
        }
    }
}

/// One metadata value, typed exactly as stored in the file (no silent widening), so a writer can reproduce it.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// A homogeneous array; `elementType` is kept so that empty arrays round-trip with their type.
    case array(elementType: GGUFValueType, [GGUFValue])

    /// The on-disk type of this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as an Int when it is any integer type that fits; nil otherwise. Lets callers accept the integer
    /// widths different converters use for the same key.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as a Double when it is a float type; nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: nil
        }
    }

    /// The string payload, or nil for other types.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The bool payload, or nil for other types.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The array elements, or nil for other types.
    public var arrayValue: [GGUFValue]? {
        if case .array(_, let items) = self { return items }
        return nil
    }
}
