//! Building tiny `.tflite` files for tests (ours and the CLI's): a chain of operators over
//! `[1, 4]` tensors, written with the schema's own flatbuffer builders.

pub use tract_tflite::tflite;

/// A model with one `op` from tensor 0 to tensor 1, both of `ty`, quantized with scale
/// 0.1 and zero point 0.
pub fn single_op_model(op: tflite::BuiltinOperator, ty: tflite::TensorType) -> Vec<u8> {
    chain_model(&[op], &[ty, ty])
}

/// A model whose operator `i` reads tensor `i` and writes tensor `i + 1` (of `types[i]`
/// and `types[i + 1]`, all quantized with scale 0.1 and zero point 0); tensor 0 is the
/// model's input, the last its output.
pub fn chain_model(ops: &[tflite::BuiltinOperator], types: &[tflite::TensorType]) -> Vec<u8> {
    assert_eq!(types.len(), ops.len() + 1, "one tensor more than operators");
    let mut b = flatbuffers::FlatBufferBuilder::new();
    let tensors: Vec<_> = types
        .iter()
        .enumerate()
        .map(|(i, &ty)| {
            let name = format!("t{i}");
            let shape = b.create_vector(&[1i32, 4]);
            let scale = b.create_vector(&[0.1f32]);
            let zero_point = b.create_vector(&[0i64]);
            let quantization = tflite::QuantizationParameters::create(
                &mut b,
                &tflite::QuantizationParametersArgs {
                    scale: Some(scale),
                    zero_point: Some(zero_point),
                    ..Default::default()
                },
            );
            let name = b.create_string(&name);
            tflite::Tensor::create(
                &mut b,
                &tflite::TensorArgs {
                    shape: Some(shape),
                    type_: ty,
                    buffer: 0,
                    name: Some(name),
                    quantization: Some(quantization),
                    ..Default::default()
                },
            )
        })
        .collect();
    let tensors = b.create_vector(&tensors);
    let last = ops.len() as i32;
    let (inputs, outputs) = (b.create_vector(&[0i32]), b.create_vector(&[last]));
    let operators: Vec<_> = (0..ops.len() as i32)
        .map(|i| {
            let (op_in, op_out) = (b.create_vector(&[i]), b.create_vector(&[i + 1]));
            tflite::Operator::create(
                &mut b,
                &tflite::OperatorArgs {
                    opcode_index: i as u32,
                    inputs: Some(op_in),
                    outputs: Some(op_out),
                    ..Default::default()
                },
            )
        })
        .collect();
    let operators = b.create_vector(&operators);
    let graph = tflite::SubGraph::create(
        &mut b,
        &tflite::SubGraphArgs {
            tensors: Some(tensors),
            inputs: Some(inputs),
            outputs: Some(outputs),
            operators: Some(operators),
            ..Default::default()
        },
    );
    let codes: Vec<_> = ops
        .iter()
        .map(|&op| {
            tflite::OperatorCode::create(
                &mut b,
                &tflite::OperatorCodeArgs {
                    deprecated_builtin_code: op.0.min(127) as i8,
                    builtin_code: op,
                    version: 1,
                    ..Default::default()
                },
            )
        })
        .collect();
    let codes = b.create_vector(&codes);
    let graphs = b.create_vector(&[graph]);
    let empty = tflite::Buffer::create(&mut b, &tflite::BufferArgs { data: None });
    let buffers = b.create_vector(&[empty]);
    let model = tflite::Model::create(
        &mut b,
        &tflite::ModelArgs {
            version: 3,
            operator_codes: Some(codes),
            subgraphs: Some(graphs),
            buffers: Some(buffers),
            ..Default::default()
        },
    );
    tflite::finish_model_buffer(&mut b, model);
    b.finished_data().to_vec()
}
