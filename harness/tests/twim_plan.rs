//! The register-free half of the firmware's nRF52840 TWIM driver
//! (targets/firmware/src/power/bus/twim_plan.rs), compiled and tested on the host: the
//! transfer each `embedded_hal` call becomes, and ERRORSRC → error kinds. The register
//! half has never run on hardware (docs/energy.md).

#[path = "../../targets/firmware/src/power/bus/transfer.rs"]
mod transfer;
#[path = "../../targets/firmware/src/power/bus/twim_plan.rs"]
#[allow(dead_code)]
mod twim_plan;

use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use twim_plan::*;

/// A bus that records the plan of every transaction and answers reads with 0xA0, 0xA1, …
#[derive(Default)]
struct Recorder {
    plans: Vec<Result<Plan, ErrorKind>>,
    written: Vec<Vec<u8>>,
}

impl ErrorType for Recorder {
    type Error = ErrorKind;
}

impl I2c for Recorder {
    fn transaction(&mut self, _: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        let plan = Plan::new(ops, TX_MAX, RX_MAX);
        self.plans.push(plan);
        let plan = plan?;
        let mut tx = [0u8; TX_MAX];
        gather(ops, &mut tx);
        self.written.push(tx[..plan.tx].to_vec());
        let rx: Vec<u8> = (0..plan.rx as u8).map(|i| 0xA0 + i).collect();
        scatter(&rx, ops);
        Ok(())
    }
}

#[test]
fn ina226_register_read_is_one_repeated_start_transfer() {
    let mut bus = Recorder::default();
    let mut b = [0u8; 2];
    // What power.rs does for a register: write the pointer, read two bytes.
    bus.write_read(0x40, &[0x01], &mut b).unwrap();
    let plan = bus.plans[0].unwrap();
    assert_eq!(plan, Plan { tx: 1, rx: 2 });
    assert_eq!(plan.start(), Start::Tx);
    // LASTTX → STARTRX (repeated start) and LASTRX → STOP; no STOP after the write.
    assert_eq!(plan.shorts(), (1 << 7) | (1 << 12));
    assert_eq!(plan.shorts() & SHORT_LASTTX_STOP, 0);
    assert_eq!(bus.written[0], [0x01]);
    assert_eq!(b, [0xA0, 0xA1]);
}

#[test]
fn configuration_write_and_plain_read() {
    let mut bus = Recorder::default();
    // A constant in flash on the board: gathered into the RAM buffer EasyDMA reads.
    const CONFIG: [u8; 3] = [0x00, 0x40, 0x07];
    bus.write(0x40, &CONFIG).unwrap();
    let plan = bus.plans[0].unwrap();
    assert_eq!((plan.start(), plan.shorts()), (Start::Tx, 1 << 9));
    assert_eq!(bus.written[0], CONFIG);
    let mut b = [0u8; 3];
    bus.read(0x40, &mut b).unwrap();
    let plan = bus.plans[1].unwrap();
    assert_eq!((plan.start(), plan.shorts()), (Start::Rx, 1 << 12));
    assert_eq!(b, [0xA0, 0xA1, 0xA2]);
}

#[test]
fn consecutive_operations_merge_and_unsupported_shapes_are_errors() {
    let mut bus = Recorder::default();
    let (mut r1, mut r2) = ([0u8; 1], [0u8; 2]);
    bus.transaction(
        0x40,
        &mut [
            Operation::Write(&[1, 2]),
            Operation::Write(&[3]),
            Operation::Read(&mut r1),
            Operation::Read(&mut r2),
        ],
    )
    .unwrap();
    assert_eq!(bus.plans[0], Ok(Plan { tx: 3, rx: 3 }));
    assert_eq!(bus.written[0], [1, 2, 3]);
    assert_eq!((r1, r2), ([0xA0], [0xA1, 0xA2]));
    // A write after a read would need a second transfer: refused, not half-done.
    let mut r = [0u8; 1];
    let e = bus.transaction(0x40, &mut [Operation::Read(&mut r), Operation::Write(&[1])]);
    assert_eq!(e, Err(ErrorKind::Other));
    // Nothing to transfer, and more than the RAM copies hold.
    assert_eq!(bus.write(0x40, &[]), Err(ErrorKind::Other));
    assert_eq!(bus.write(0x40, &[0; TX_MAX + 1]), Err(ErrorKind::Other));
    let mut big = [0u8; RX_MAX + 1];
    assert_eq!(bus.read(0x40, &mut big), Err(ErrorKind::Other));
    assert!(bus.write(0x40, &[0; TX_MAX]).is_ok());
}

#[test]
fn errorsrc_maps_to_embedded_hal_kinds() {
    use NoAcknowledgeSource::{Address, Data};
    assert_eq!(error_kind(0), None);
    assert_eq!(error_kind(0b010), Some(ErrorKind::NoAcknowledge(Address)));
    assert_eq!(error_kind(0b100), Some(ErrorKind::NoAcknowledge(Data)));
    assert_eq!(error_kind(0b001), Some(ErrorKind::Overrun));
    // Address NACK wins: nothing answered at all.
    assert_eq!(error_kind(0b111), Some(ErrorKind::NoAcknowledge(Address)));
}

#[test]
fn a_transfer_that_never_stops_is_a_bus_error_not_a_hang() {
    let plan = Plan { tx: 1, rx: 2 };
    let done = Finished {
        stopped: true,
        error_event: false,
        errorsrc: 0,
        tx_amount: 1,
        rx_amount: 2,
    };
    assert_eq!(outcome(plan, done), Ok(()));
    let hung = Finished {
        stopped: false,
        tx_amount: 0,
        rx_amount: 0,
        ..done
    };
    assert_eq!(outcome(plan, hung), Err(ErrorKind::Bus));
    // A NACKed address: ERROR, then the STOP the driver triggers.
    let nack = Finished {
        error_event: true,
        errorsrc: ERRORSRC_ANACK,
        tx_amount: 0,
        rx_amount: 0,
        ..done
    };
    assert_eq!(
        outcome(plan, nack),
        Err(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address))
    );
    let error_only = Finished {
        error_event: true,
        ..done
    };
    assert_eq!(outcome(plan, error_only), Err(ErrorKind::Bus));
    let short = Finished {
        rx_amount: 1,
        ..done
    };
    assert_eq!(outcome(plan, short), Err(ErrorKind::Other));
}

#[test]
fn register_values_match_the_product_specification() {
    // PSEL: pin in bits 0-4, port in bit 5, CONNECT (bit 31) clear.
    assert_eq!(psel((0, 26)), 26);
    assert_eq!(psel((0, 27)), 27);
    assert_eq!(psel((1, 3)), 32 + 3);
    assert_eq!(psel((1, 31)) & (1 << 31), 0);
    // PIN_CNF: input connected, pull-up, S0D1.
    assert_eq!(PIN_CNF_I2C, 0x0000_060C);
    assert_eq!(FREQUENCY_K400, 0x0640_0000);
    assert_eq!(ENABLE_TWIM, 6);
}
