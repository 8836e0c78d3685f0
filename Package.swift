// swift-tools-version:6.0
// grao: GRAO alignment of a real language model on the CPU, served over our own HTTP/1.1 server.
// Dependencies point one way (DESIGN.md §4): C shims -> numerics/transport -> model/rewards -> alignment -> API -> grao.
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode, explicit `any` for existentials.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "grao",
    products: [
        .executable(name: "grao", targets: ["grao"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C libraries, each behind a small system-library target.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Transport: POSIX sockets with epoll, then HTTP/1.1 on top.
        .systemLibrary(name: "CLinux"),
        .target(name: "Sockets", dependencies: ["CLinux"], swiftSettings: swiftSettings),
        .target(name: "HTTP", dependencies: ["Sockets", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),

        // Numerics and the model.
        // SIMD kernels for the few hot loops OpenBLAS and scalar code do poorly (decode-size products, exp,
        // attention rows). Compiled for AVX2/FMA; callers check the CPU at run time and fall back otherwise.
        .target(name: "VectorKernels", swiftSettings: swiftSettings + [.unsafeFlags(["-target-cpu", "haswell"])]),
        .target(name: "LinearAlgebra", dependencies: ["CBLAS", "VectorKernels"], swiftSettings: swiftSettings),
        .target(name: "GGUF", swiftSettings: swiftSettings),
        .target(name: "Tokenization", swiftSettings: swiftSettings),
        .target(name: "Llama", dependencies: ["LinearAlgebra", "GGUF", "Tokenization"], swiftSettings: swiftSettings),

        // Remote calls and rewards.
        .target(name: "CurlClient", dependencies: ["CCurl"], swiftSettings: swiftSettings),
        .target(name: "Rewards", dependencies: ["CurlClient", .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),

        // Alignment objectives, optimizer and (later) the trainer.
        .target(name: "Alignment", dependencies: ["Llama", "Tokenization"], swiftSettings: swiftSettings),

        // The HTTP API: JSON types, handlers, the compute engine that owns the model, server-side state.
        .target(name: "API", dependencies: ["HTTP", "Llama", "Rewards", "Alignment",
                                            .product(name: "Logging", package: "swift-log")],
                swiftSettings: swiftSettings),

        // The executable: CLI and wiring.
        .executableTarget(
            name: "grao",
            dependencies: [
                "HTTP", "Sockets", "Llama", "Rewards", "Alignment", "API",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),

        // Tests mirror the sources.
        .testTarget(name: "SocketsTests", dependencies: ["Sockets"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Sockets", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"], swiftSettings: swiftSettings),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF"], resources: [.copy("Fixtures")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "GGUF"], resources: [.copy("Fixtures")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "LlamaTests", dependencies: ["Llama"], resources: [.copy("Fixtures")],
                    swiftSettings: swiftSettings),
        .target(name: "TestSupport", dependencies: ["Sockets"], path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "CurlClientTests", dependencies: ["CurlClient", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RewardsTests", dependencies: ["Rewards", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "AlignmentTests", dependencies: ["Alignment", "Llama"], swiftSettings: swiftSettings),
        .testTarget(name: "APITests", dependencies: ["API", "HTTP", "Sockets", "TestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "GraoCLITests", dependencies: ["grao", "TestSupport"], swiftSettings: swiftSettings),
    ]
)
