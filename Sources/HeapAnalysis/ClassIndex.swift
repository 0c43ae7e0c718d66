/// Class names as Chrome DevTools shows them, interned: `classOf[node]` indexes `names`.
/// Objects are grouped by constructor name, plain `Object`s by their property names
/// (`{id, user, payload}`), closures under `(closure)`, strings under `(string)`, and so on.
public struct ClassIndex: Sendable {
    public let names: [String]
    let classOf: [UInt32]

    public func className(ofNode node: Int) -> String { names[Int(classOf[node])] }

    /// Most property names listed in a shape class name.
    static let shapeNameLimit = 8
    /// Property names stop being added once the text passes this many characters.
    static let shapeTextLimit = 40

    public init(snapshot: HeapSnapshot) {
        self.init(snapshot: snapshot, wellKnown: WellKnownStrings(snapshot.strings))
    }

    /// `wellKnown`: the snapshot's string indexes, found once for the whole analysis.
    init(snapshot: HeapSnapshot, wellKnown: WellKnownStrings) {
        var names: [String] = []
        var byText: [String: UInt32] = [:]
        func intern(_ text: String) -> UInt32 {
            if let id = byText[text] { return id }
            let id = UInt32(names.count)
            names.append(text)
            byText[text] = id
            return id
        }
        let types = snapshot.types
        // One class per node type for the types grouped by type.
        var typeClass = [UInt32](repeating: UInt32.max, count: snapshot.nodeTypeNames.count)
        for (code, typeName) in snapshot.nodeTypeNames.enumerated() {
            let code = UInt8(code)
            if code == types.object || code == types.native || code == types.synthetic { continue }
            let text: String
            switch code {
            case types.hidden: text = "(system)"
            case types.code: text = "(compiled code)"
            case types.string, types.consString, types.slicedString: text = "(string)"
            default: text = "(\(typeName))"
            }
            typeClass[Int(code)] = intern(text)
        }
        // Named classes: by string index, created on first use.
        var nameClass = [UInt32](repeating: UInt32.max, count: snapshot.strings.count)
        let plainObject = wellKnown.object, protoName = wellKnown.proto
        var shapeClass: [UInt64: UInt32] = [:]

        var classOf = [UInt32](prefaulted: 0, count: snapshot.nodeCount)
        classOf.withUnsafeMutableBufferPointer { classOf in
            for node in 0..<snapshot.nodeCount {
                let type = snapshot.nodeTypes[node]
                let fixed = typeClass[Int(type)]
                if fixed != UInt32.max {
                    classOf[node] = fixed
                    continue
                }
                let name = snapshot.nodeNames[node]
                if name == plainObject && type == types.object {
                    // Shape: hash of the first property names, in edge order.
                    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                    var listed = 0
                    for edge in snapshot.edges(ofNode: node)
                    where snapshot.edgeTypes[edge] == types.propertyEdge && snapshot.edgeNames[edge] != protoName {
                        hash = (hash ^ UInt64(snapshot.edgeNames[edge])) &* 0x100_0000_01b3
                        listed += 1
                        if listed == Self.shapeNameLimit + 1 { break }
                    }
                    if let id = shapeClass[hash] {
                        classOf[node] = id
                    } else {
                        var keys: [String] = []
                        var length = 0
                        for edge in snapshot.edges(ofNode: node)
                        where snapshot.edgeTypes[edge] == types.propertyEdge && snapshot.edgeNames[edge] != protoName {
                            if keys.count == Self.shapeNameLimit || length > Self.shapeTextLimit {
                                keys.append("…")
                                break
                            }
                            let key = snapshot.strings[Int(snapshot.edgeNames[edge])]
                            keys.append(key)
                            length += key.count + 2
                        }
                        let id = intern(keys.isEmpty ? "Object" : "{" + keys.joined(separator: ", ") + "}")
                        shapeClass[hash] = id
                        classOf[node] = id
                    }
                    continue
                }
                var id = nameClass[Int(name)]
                if id == UInt32.max {
                    let text = snapshot.strings[Int(name)]
                    id = intern(text.isEmpty ? "(anonymous)" : text)
                    nameClass[Int(name)] = id
                }
                classOf[node] = id
            }
        }
        self.names = names
        self.classOf = classOf
    }
}
