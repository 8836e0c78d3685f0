import Foundation
import HTTP
import Rewards

extension APIServer {
    /// `GET /v1/rewards` (built-in types and registrations), `POST /v1/rewards` (`{"name", "spec"}`: register a
    /// reward spec or remote judge, validated before anything is stored), `DELETE /v1/rewards/{name}`.
    func registerRewardRoutes(_ routes: inout APIRoutes) {
        routes.add(.GET, "/v1/rewards") { [self] _ in
            let state = try self.state
            return try JSONResponse.make([
                "builtin": RewardSpec.types,
                "registered": state.rewards.list().map(Self.rewardJSON),
            ] as [String: Any])
        }
        routes.add(.POST, "/v1/rewards") { [self] request in
            let state = try self.state
            let body = try JSONObjectReader.parse(request.body)
            let name = try body.string("name")
            guard let raw = body.raw("spec") else { throw body.invalid("spec", code: "missing_field", "is required") }
            try body.finish()
            let entry = try state.rewards.register(name: name, spec: try Self.jsonValue(raw, field: "spec"))
            logger.notice("reward registered", metadata: ["reward": "\(name)"])
            return try JSONResponse.make(Self.rewardJSON(entry), status: .created)
        }
        routes.add(.DELETE, "/v1/rewards/{name}") { [self] request in
            let state = try self.state
            let name = request.pathParameters["name"] ?? ""
            try state.rewards.remove(name: name)
            logger.notice("reward deleted", metadata: ["reward": "\(name)"])
            return try JSONResponse.make(["deleted": name])
        }
    }

    /// A registration as JSON: name, spec as stored (secrets only as `env:NAME`), creation time, availability.
    static func rewardJSON(_ entry: RewardRegistry.Entry) -> [String: Any] {
        var object: [String: Any] = ["name": entry.name, "spec": foundationValue(entry.spec), "created_at": entry.createdAt,
                                     "available": entry.unavailableReason == nil]
        if let reason = entry.unavailableReason { object["unavailable_reason"] = reason }
        return object
    }

    /// A JSON value parsed by Foundation (what `JSONObjectReader` holds) as the Rewards module's `JSONValue`.
    static func jsonValue(_ value: Any, field: String) throws -> JSONValue {
        if value is NSNull { return .null }
        if JSONObjectReader.isBool(value), let flag = value as? Bool { return .bool(flag) }
        if let text = value as? String { return .string(text) }
        if let number = value as? Double {
            guard number.isFinite else { throw StoreError.invalid(field, "numbers must be finite") }
            return .number(number)
        }
        if let list = value as? [Any] {
            return .array(try list.enumerated().map { try jsonValue($1, field: "\(field)[\($0)]") })
        }
        if let object = value as? [String: Any] {
            var out: [String: JSONValue] = [:]
            for (k, v) in object { out[k] = try jsonValue(v, field: "\(field).\(k)") }
            return .object(out)
        }
        throw StoreError.invalid(field, "holds an unsupported JSON value")
    }

    /// The inverse of `jsonValue`, for response bodies.
    static func foundationValue(_ value: JSONValue) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let d): return d
        case .string(let s): return s
        case .array(let a): return a.map(foundationValue)
        case .object(let o): return o.mapValues(foundationValue)
        }
    }
}
