#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ConfigLoader {
    /// Larger than any sane config; stops `/dev/zero` or a wrong path from eating memory.
    static let maxFileBytes = 1 << 20

    /// Reads and parses the file at `path`. An unreadable file is one diagnostic at 1:1
    /// naming the reason (`cannot read: No such file or directory`).
    public static func load(path: String) throws(ConfigError) -> HeapwatchConfig {
        let bytes: [UInt8]
        switch readFile(path) {
        case .success(let read): bytes = read
        case .failure(let problem): throw single(path, SourcePosition.start, problem.message)
        }
        if let invalid = firstInvalidUTF8(bytes) {
            throw single(path, invalid, "not valid UTF-8 text")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    private static func single(_ file: String, _ position: SourcePosition, _ message: String) -> ConfigError {
        ConfigError(diagnostics: [
            ConfigDiagnostic(file: file, line: position.line, column: position.column, message: message)
        ])
    }

    /// The whole file, or why not (`cannot read: <strerror>`).
    private static func readFile(_ path: String) -> Result<[UInt8], ValueProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(readProblem(errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(readProblem(errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maxFileBytes {
                return .failure(ValueProblem("cannot read: file is larger than \(maxFileBytes / 1024 / 1024)MiB; is it the config?"))
            }
        }
    }

    private static func readProblem(_ code: Int32) -> ValueProblem {
        ValueProblem("cannot read: \(String(cString: strerror(code)))")
    }

    /// Where the first byte that is not UTF-8 sits, or nil when all of it is.
    private static func firstInvalidUTF8(_ bytes: [UInt8]) -> SourcePosition? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var position = SourcePosition.start
        var first = true
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                position.advance(past: scalar, atStart: first)
                first = false
            case .emptyInput:
                return nil
            case .error:
                return position
            }
        }
    }
}
